// TableNames: the fake-IP pool's part of DNS (flow::DestinationNames) as a table, for tests
// of the flow pipeline without a DNS server: 198.18.0.0/15 is fake, a few of its addresses
// name domains, and a few names resolve. Lookups answer from the io_context, as DNS would.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "flow/destination_names.hpp"

namespace shunt::flow::test {

class TableNames final : public DestinationNames {
  public:
    explicit TableNames(boost::asio::io_context& io) : io_(io) {}

    bool is_fake(const IpAddress& address) const override {
        return Prefix::parse("198.18.0.0/15")->contains(address);
    }
    std::optional<std::string> domain_for(const IpAddress& address) override {
        auto it = domains.find(address.to_string());
        if (it == domains.end()) return std::nullopt;
        return it->second;
    }
    void lookup_addresses(const std::string& name, outbound::AddressCallback done) override {
        ++lookups;
        std::vector<IpAddress> found;
        if (auto it = addresses.find(name); it != addresses.end()) found = it->second;
        boost::asio::post(io_, [done = std::move(done), found] {
            done(found.empty() ? make_error_code(boost::system::errc::host_unreachable)
                               : boost::system::error_code(),
                 found);
        });
    }

    std::map<std::string, std::string> domains{{"198.18.0.5", "named.test"},
                                               {"198.18.0.6", "www.ads.test"},
                                               {"198.18.0.7", "resolves.test"},
                                               {"198.18.0.8", "nowhere.test"}};
    std::map<std::string, std::vector<IpAddress>> addresses{
        {"resolves.test", {*IpAddress::parse("203.0.113.9"), *IpAddress::parse("203.0.113.10")}}};
    int lookups = 0;

  private:
    boost::asio::io_context& io_;
};

}  // namespace shunt::flow::test

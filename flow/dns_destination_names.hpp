// DestinationNames over the running DNS service (its fake-IP pool, redir-host memory and
// resolver). The service outlives every flow classifier that holds this.
#pragma once

#include "flow/destination_names.hpp"

namespace shunt::dns {
class DnsService;
}

namespace shunt::flow {

class DnsDestinationNames final : public DestinationNames {
  public:
    explicit DnsDestinationNames(dns::DnsService& dns) : dns_(dns) {}

    bool is_fake(const IpAddress& address) const override;
    std::optional<std::string> domain_for(const IpAddress& address) override;
    void lookup_addresses(const std::string& name, outbound::AddressCallback done) override;

  private:
    dns::DnsService& dns_;
};

}  // namespace shunt::flow

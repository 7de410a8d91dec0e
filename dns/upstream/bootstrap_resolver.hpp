// Finds the addresses of a tls:// or https:// upstream given by host name only,
// through the plain udp:// / tcp:// bootstrap upstreams: A, then AAAA only when A
// gave no address, each asked of the bootstrap upstreams in order until one answers. The result is
// cached for the smallest TTL among the records, and callers arriving during a lookup share it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include "dns/upstream/upstream.hpp"
#include "net/ip_address.hpp"

namespace shunt::dns {

class BootstrapResolver : public std::enable_shared_from_this<BootstrapResolver> {
  public:
    using Callback = std::function<void(boost::system::error_code, std::vector<IpAddress>)>;

    // `name` is normalised (lower case, no trailing dot). Throws std::invalid_argument
    // when a bootstrap spec is not a udp:// or tcp:// address.
    BootstrapResolver(boost::asio::any_io_executor executor, std::string name,
                      const UpstreamOptions& options);

    // Fails with UpstreamErrc::no_address when neither lookup
    // produced one, or with the last upstream error when none answered.
    void resolve(Callback callback);
    void close();

    const std::string& name() const { return name_; }

  private:
    struct Lookup;
    void start_lookup();
    void ask(std::shared_ptr<Lookup> lookup);
    void finish(boost::system::error_code ec, std::vector<IpAddress> addresses, std::uint32_t ttl);

    boost::asio::any_io_executor executor_;
    std::string name_;
    std::vector<std::shared_ptr<Upstream>> upstreams_;
    std::vector<Callback> waiting_;
    bool looking_up_ = false;
    bool closed_ = false;
    std::vector<IpAddress> cached_;
    std::chrono::steady_clock::time_point cached_until_{};
};

// Parses the A/AAAA records of a DNS answer (ldns); `ttl` gets the smallest TTL.
std::vector<IpAddress> addresses_in_answer(const std::vector<std::uint8_t>& answer,
                                           std::uint32_t& ttl);

}  // namespace shunt::dns

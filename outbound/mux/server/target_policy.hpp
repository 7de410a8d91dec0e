// TargetPolicy: which addresses `shunt mux-server` opens for its clients. A mux server
// usually runs on a VPS; without a policy any client holding the password could reach the
// server's own loopback services, its provider's private network and link-local metadata
// endpoints (169.254.169.254) through it. So by default every address that is not
// globally reachable is refused — loopback, private, shared (CGNAT), link-local,
// unique-local, multicast, reserved, benchmarking (also shunt's fake-IP range) — unless
// `allow_private_targets = true`; `deny_targets` adds prefixes of the operator's own.
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry. Names are judged
// by the addresses they resolve to, so a name pointing at 127.0.0.1 gets nowhere either.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.hpp"

namespace shunt::outbound::mux {

class TargetPolicy {
  public:
    TargetPolicy() : TargetPolicy(false, {}) {}
    TargetPolicy(bool allow_private, std::vector<Prefix> deny);

    // Why `address` may not be opened ("127.0.0.1 is a loopback address"), or nothing.
    std::optional<std::string> why_denied(const IpAddress& address) const;
    // The allowed addresses of `addresses`, in order; `why` tells about the first denied.
    std::vector<IpAddress> filter(const std::vector<IpAddress>& addresses, std::string& why) const;
    // One line for the server's start-up log.
    std::string describe() const;

  private:
    bool allow_private_;
    std::vector<Prefix> deny_;
};

}  // namespace shunt::outbound::mux

// A destination as a proxy is asked to reach it: a domain name (resolved on the far side,
// so a fake IP never leaves the machine) or an address, and a port. SOCKS5 requests and
// replies, SOCKS5 UDP headers and mux OPEN/DATAGRAM frames all carry one
// (outbound/address_codec.hpp encodes it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/ip_address.hpp"

namespace shunt {

struct HostPort {
    std::string domain;                // when non-empty, the destination; `address` unused
    std::optional<IpAddress> address;  // otherwise
    std::uint16_t port = 0;

    bool is_domain() const { return !domain.empty(); }
    static HostPort from_endpoint(const Endpoint& endpoint) {
        return {{}, endpoint.address, endpoint.port};
    }
    // "example.com:443", "203.0.113.9:443", "[2001:db8::1]:443".
    std::string to_string() const;
    friend bool operator==(const HostPort&, const HostPort&) = default;
};

}  // namespace shunt

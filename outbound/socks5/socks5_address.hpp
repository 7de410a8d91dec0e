// The address form SOCKS5 uses in requests, replies and UDP headers (RFC 1928 section 5):
// ATYP, then DST.ADDR (4 or 16 bytes, or a length byte and a domain name), then the port.
// A domain is sent as is: the proxy resolves it, so a fake IP never leaves the machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/ip_address.hpp"

namespace shunt::outbound {

enum class Socks5AddressType : std::uint8_t { ipv4 = 1, domain = 3, ipv6 = 4 };

struct Socks5Address {
    std::string domain;  // when non-empty, sent as ATYP 3 and `address` is ignored
    IpAddress address;
    std::uint16_t port = 0;

    bool is_domain() const { return !domain.empty(); }
    static Socks5Address from_endpoint(const Endpoint& endpoint) {
        return {{}, endpoint.address, endpoint.port};
    }
    // "example.com:443", "127.0.0.1:53", "[::1]:53".
    std::string to_string() const;
    friend bool operator==(const Socks5Address&, const Socks5Address&) = default;
};

// Longest name ATYP 3 can carry (one length byte).
inline constexpr std::size_t kSocks5MaxDomainLength = 255;

// Appends ATYP, DST.ADDR and DST.PORT. False (nothing appended) for an empty or too long
// domain.
bool append_socks5_address(const Socks5Address& address, std::vector<std::uint8_t>& out);

// The bytes an address of this type still needs after the ATYP byte, given what follows
// it so far (for a domain the first byte is the length). nullopt for an unknown ATYP.
std::optional<std::size_t> socks5_address_body_size(std::uint8_t atyp, std::uint8_t first_byte);

struct Socks5AddressDecode {
    Socks5Address address;
    std::size_t consumed = 0;  // ATYP + address + port
};
// Decodes an address starting at its ATYP byte. nullopt when the ATYP is unknown, the input
// is truncated or a domain is empty.
std::optional<Socks5AddressDecode> decode_socks5_address(std::span<const std::uint8_t> bytes);

}  // namespace shunt::outbound

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

#include "net/host_port.hpp"
#include "outbound/address_codec.hpp"

namespace shunt::outbound {

// Longest name ATYP 3 can carry (one length byte).
inline constexpr std::size_t kSocks5MaxDomainLength = kMaxWireDomain;

// Appends ATYP, DST.ADDR and DST.PORT. False (nothing appended) for an empty or too long
// domain.
bool append_socks5_address(const HostPort& address, std::vector<std::uint8_t>& out);

// The bytes an address of this type still needs after the ATYP byte, given what follows
// it so far (for a domain the first byte is the length). nullopt for an unknown ATYP.
std::optional<std::size_t> socks5_address_body_size(std::uint8_t atyp, std::uint8_t first_byte);

struct Socks5AddressDecode {
    HostPort address;
    std::size_t consumed = 0;  // ATYP + address + port
};
// Decodes an address starting at its ATYP byte. nullopt when the ATYP is unknown, the input
// is truncated or a domain is empty.
std::optional<Socks5AddressDecode> decode_socks5_address(std::span<const std::uint8_t> bytes);

}  // namespace shunt::outbound

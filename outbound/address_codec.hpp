// A destination (HostPort) in the SOCKS5 encoding (RFC 1928 section 5), shared by the wire
// formats that carry one (SOCKS5 requests, replies and UDP headers; mux OPEN and DATAGRAM
// frames):
//
//   atyp u8   1: IPv4, 4 bytes | 3: length u8 (1..255), then the name | 4: IPv6, 16 bytes
//   port u16  big endian
//
// A domain travels as is: the far side resolves it, so a fake IP never leaves the client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/host_port.hpp"

namespace shunt::outbound {

enum class AddressType : std::uint8_t { ipv4 = 1, domain = 3, ipv6 = 4 };

inline constexpr std::size_t kMaxWireDomain = 255;     // one length byte
inline constexpr std::size_t kMinWireAddressSize = 5;  // atyp, length, 1-byte name, port
inline constexpr std::size_t kMaxWireAddressSize = 1 + 1 + kMaxWireDomain + 2;

// Bytes append_address writes for `address`.
std::size_t wire_address_size(const HostPort& address);

// Appends atyp, address and port. The caller has checked that a domain has 1..255 bytes
// (a longer one cannot be encoded; debug builds assert).
void append_address(std::vector<std::uint8_t>& out, const HostPort& address);

// Decodes one address at the start of `in`. Returns the bytes it used, or 0 when the input
// is truncated or invalid (unknown atyp, empty domain); `error` then says which.
std::size_t parse_address(std::span<const std::uint8_t> in, HostPort& out, std::string& error);

}  // namespace shunt::outbound

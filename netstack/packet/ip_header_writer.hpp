// Writes the fixed IPv4 or IPv6 header of a packet shunt builds for the TUN. Shared by the
// UDP and ICMP builders; no options, no extension headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/ip_address.hpp"

namespace shunt::netstack {

inline constexpr std::size_t kIpv4HeaderSize = 20;
inline constexpr std::size_t kIpv6HeaderSize = 40;
inline constexpr std::uint8_t kDefaultTtl = 64;

inline std::size_t ip_header_size(IpAddress::Family family) {
    return family == IpAddress::Family::v4 ? kIpv4HeaderSize : kIpv6HeaderSize;
}

// The largest transport segment a packet of `family` can carry (IPv4's 16-bit total
// length counts the header; IPv6's payload length does not).
inline std::size_t max_transport_size(IpAddress::Family family) {
    return family == IpAddress::Family::v4 ? 0xffff - kIpv4HeaderSize : 0xffff;
}

// Writes the header for a transport segment of `transport_size` bytes into the start of
// `out` (which must hold ip_header_size(family) bytes) and returns the header size. IPv4
// gets DF and identification 0 (RFC 6864: an atomic datagram needs no unique id) and its
// header checksum. Source and destination must share a family.
std::size_t write_ip_header(std::span<std::uint8_t> out, const IpAddress& source,
                            const IpAddress& destination, std::uint8_t protocol,
                            std::size_t transport_size, std::uint8_t ttl = kDefaultTtl);

}  // namespace shunt::netstack

// UDP inside a parsed IP packet, and the IP + UDP packets shunt writes back to the TUN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/ip_address.hpp"
#include "netstack/packet/ip_packet.hpp"

namespace shunt::netstack {

inline constexpr std::size_t kUdpHeaderSize = 8;

struct UdpDatagramView {
    Endpoint source;
    Endpoint destination;
    std::span<const std::uint8_t> payload;
};

// The datagram in `packet` (protocol must be UDP). nullopt when the segment is shorter
// than a UDP header or the UDP length field is below 8 or beyond the segment. A segment
// longer than the UDP length is trimmed to it. The checksum is not verified.
std::optional<UdpDatagramView> parse_udp_datagram(const IpPacketView& packet);

struct UdpPacketSpec {
    Endpoint source;
    Endpoint destination;  // same family as source
    std::span<const std::uint8_t> payload;
    std::uint8_t ttl = 64;
};

// Bytes the packet for `payload_size` bytes of payload takes.
std::size_t udp_packet_size(IpAddress::Family family, std::size_t payload_size);

// Writes an IPv4 or IPv6 packet with a UDP datagram, both checksums set (a computed UDP
// checksum of 0 is sent as 0xffff, RFC 768). Returns the packet length, or 0 when the
// families differ, the payload is too large for one IP packet, or `out` is too small.
std::size_t build_udp_packet(const UdpPacketSpec& spec, std::span<std::uint8_t> out);

}  // namespace shunt::netstack

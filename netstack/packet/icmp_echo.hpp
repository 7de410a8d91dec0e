// ICMP and ICMPv6 messages inside a parsed IP packet, and the echo reply to an echo request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "netstack/packet/ip_packet.hpp"

namespace shunt::netstack {

inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpEchoRequest = 8;
inline constexpr std::uint8_t kIcmpV6EchoRequest = 128;
inline constexpr std::uint8_t kIcmpV6EchoReply = 129;
inline constexpr std::size_t kIcmpHeaderSize = 8;  // type, code, checksum, id, sequence

struct IcmpMessageView {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::span<const std::uint8_t> message;  // the whole ICMP message, header included
};

// The ICMP message of an ICMP (IPv4) or ICMPv6 (IPv6) packet; nullopt when the protocol
// does not match the family or the message is shorter than 4 bytes (type, code, checksum).
std::optional<IcmpMessageView> parse_icmp_message(const IpPacketView& packet);

// True for an ICMP echo request (type 8 / 128, code 0) at least kIcmpHeaderSize long.
bool is_echo_request(const IpPacketView& packet);

// Writes the echo reply to `request` (an echo request, see is_echo_request): addresses
// swapped, type 0 / 129, identifier, sequence and data kept, checksum computed (ICMPv6
// with its pseudo-header). IPv4 options and IPv6 extension headers are not copied. Returns
// the reply's length, or 0 if `request` is no echo request or `out` is too small.
std::size_t build_echo_reply(const IpPacketView& request, std::span<std::uint8_t> out);

}  // namespace shunt::netstack

// A raw IPv4/IPv6 packet from the TUN, parsed into addresses, transport protocol and the
// transport payload. Pure views into the caller's buffer: nothing is copied, and no byte
// outside the buffer is ever read, whatever the packet claims.
//
// What is rejected, and why:
// - a version other than 4 or 6, a buffer shorter than the fixed header;
// - IPv4: IHL < 5, a header longer than the buffer, a total length shorter than the header
//   or longer than the buffer;
// - IPv6: a payload length longer than the buffer (a jumbogram's 0 is taken literally,
//   giving an empty payload: the TUN MTU is far below 64 KiB);
// - fragments, IPv4 (MF set or a nonzero offset, the first fragment included) and IPv6 (a
//   fragment header, atomic fragments included): there is no reassembly, and a first
//   fragment alone would hand the session a truncated datagram. The caller drops and
//   counts them. The kernel fragments only datagrams above the TUN MTU (9000 by default).
// - IPv6 extension headers: hop-by-hop (only first), routing, destination options and AH
//   are skipped; more than kMaxExtensionHeaders of them, or one running past the packet,
//   is malformed (a forged chain costs bounded work).
// A buffer longer than the stated length is accepted and trimmed (link padding).
// Checksums are not verified: the kernel built these packets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "net/ip_address.hpp"

namespace shunt::netstack {

inline constexpr std::uint8_t kProtocolIcmp = 1;
inline constexpr std::uint8_t kProtocolTcp = 6;
inline constexpr std::uint8_t kProtocolUdp = 17;
inline constexpr std::uint8_t kProtocolIcmpV6 = 58;
inline constexpr int kMaxExtensionHeaders = 8;

// TCP header without options, and its flag bits (byte 13).
inline constexpr std::size_t kTcpHeaderSize = 20;
inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;

enum class IpParseStatus : std::uint8_t {
    ok,
    empty,
    bad_version,
    truncated_header,      // shorter than the fixed header, or IHL beyond the buffer
    bad_header_length,     // IPv4 IHL < 5 or beyond the total length
    bad_total_length,      // stated length beyond the buffer
    fragment,              // any fragment: not reassembled, dropped by the caller
    bad_extension_header,  // hop-by-hop not first, or a header running past the packet
    too_many_extension_headers,
};
inline constexpr std::size_t kIpParseStatusCount = 9;

std::string_view to_string(IpParseStatus status);

struct IpPacketView {
    IpAddress source;
    IpAddress destination;
    // The transport protocol: IPv4's protocol field, or the IPv6 next header after the
    // skipped extension headers.
    std::uint8_t protocol = 0;
    std::uint8_t ttl = 0;  // TTL / hop limit
    // The packet trimmed to its stated length, and the transport segment inside it.
    std::span<const std::uint8_t> packet;
    std::span<const std::uint8_t> payload;

    bool is_v4() const { return source.is_v4(); }
};

struct IpParseResult {
    IpParseStatus status = IpParseStatus::empty;
    IpPacketView view;  // meaningful only when ok(), except addresses of a `fragment`

    bool ok() const { return status == IpParseStatus::ok; }
};

IpParseResult parse_ip_packet(std::span<const std::uint8_t> packet);

// The same, except that an IPv4 first fragment (MF set, offset 0) parses as if it were the
// whole packet: its payload is the start of the transport segment, as far as this fragment
// carries it. For a check that must see a segment's header before the fragments are
// reassembled (lwIP reassembles TCP: the half-open guard looks at a SYN's first fragment).
IpParseResult parse_first_fragment(std::span<const std::uint8_t> packet);

}  // namespace shunt::netstack

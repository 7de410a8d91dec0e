// The RST that refuses a TCP SYN without any connection state (RFC 9293 3.10.7.1: a
// SYN to no listener gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>). shunt sends it for
// SYNs it will not take (the half-open cap) before they reach lwIP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "netstack/packet/ip_packet.hpp"

namespace shunt::netstack {

// True for a segment with SYN set and ACK clear (a connection attempt).
bool is_tcp_syn(const IpPacketView& packet);

// Writes the RST|ACK answering `syn` (a parsed TCP SYN) into `out`, from its destination
// to its source; returns the packet's length, 0 if `syn` is not a TCP segment or `out`
// is too small (60 bytes always suffice).
std::size_t build_tcp_reset(const IpPacketView& syn, std::span<std::uint8_t> out);

}  // namespace shunt::netstack

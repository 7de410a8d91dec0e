// ICMP from the TUN: echo requests to the fake-IP ranges are answered here (a fake IP has
// no host behind it, yet `ping example.com` should work); every other ICMP message is
// dropped and counted by type. Nothing is forwarded: shunt relays flows, not ICMP.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "net/ip_address.hpp"
#include "netstack/packet/ip_packet.hpp"
#include "netstack/packet/packet_writer.hpp"

namespace shunt::netstack {

struct IcmpCounters {
    std::uint64_t echo_replied = 0;
    std::uint64_t echo_outside_ranges = 0;  // echo requests to addresses not answered here
    std::uint64_t malformed = 0;            // too short, or ICMP in the wrong family
    // Every ICMP message not answered, by type (echo requests outside the ranges included).
    std::array<std::uint64_t, 256> dropped_v4{};
    std::array<std::uint64_t, 256> dropped_v6{};
};

class IcmpResponder {
  public:
    // `answered`: the prefixes whose echo requests get a reply (the fake-IP ranges).
    IcmpResponder(std::vector<Prefix> answered, PacketWriter writer);

    // A packet from the TUN that parsed ok with protocol ICMP or ICMPv6.
    void handle_packet(const IpPacketView& packet);

    const IcmpCounters& counters() const { return counters_; }

  private:
    bool answers(const IpAddress& destination) const;

    std::vector<Prefix> answered_;
    PacketWriter writer_;
    IcmpCounters counters_;
    // An echo reply is as long as its request: one packet of the TUN's MTU at most.
    std::vector<std::uint8_t> reply_buffer_;
};

}  // namespace shunt::netstack

#include "netstack/icmp/icmp_responder.hpp"

#include "netstack/packet/icmp_echo.hpp"
#include "netstack/packet/ip_header_writer.hpp"

namespace shunt::netstack {

IcmpResponder::IcmpResponder(std::vector<Prefix> answered, PacketWriter writer)
    : answered_(std::move(answered)), writer_(std::move(writer)) {}

bool IcmpResponder::answers(const IpAddress& destination) const {
    for (const auto& prefix : answered_) {
        if (prefix.family() == destination.family() && prefix.contains(destination)) return true;
    }
    return false;
}

void IcmpResponder::handle_packet(const IpPacketView& packet) {
    const auto message = parse_icmp_message(packet);
    if (!message) {
        ++counters_.malformed;
        return;
    }
    auto& dropped = packet.is_v4() ? counters_.dropped_v4 : counters_.dropped_v6;
    if (!is_echo_request(packet)) {
        ++dropped[message->type];
        return;
    }
    if (!answers(packet.destination)) {
        ++counters_.echo_outside_ranges;
        ++dropped[message->type];
        return;
    }
    // Sized on first use: the reply mirrors the request, and the request arrived whole.
    const std::size_t needed = kIpv6HeaderSize + packet.payload.size();
    if (reply_buffer_.size() < needed) reply_buffer_.resize(needed);
    const std::size_t length = build_echo_reply(packet, reply_buffer_);
    if (length == 0) {
        ++counters_.malformed;
        return;
    }
    ++counters_.echo_replied;
    writer_(std::span<const std::uint8_t>(reply_buffer_.data(), length));
}

}  // namespace shunt::netstack

#include "netstack/packet/icmp_echo.hpp"

#include <cstring>

#include "netstack/packet/checksum.hpp"
#include "netstack/packet/ip_header_writer.hpp"

namespace shunt::netstack {

std::optional<IcmpMessageView> parse_icmp_message(const IpPacketView& packet) {
    const std::uint8_t expected = packet.is_v4() ? kProtocolIcmp : kProtocolIcmpV6;
    if (packet.protocol != expected || packet.payload.size() < 4) return std::nullopt;
    return IcmpMessageView{packet.payload[0], packet.payload[1], packet.payload};
}

bool is_echo_request(const IpPacketView& packet) {
    const auto message = parse_icmp_message(packet);
    if (!message || message->message.size() < kIcmpHeaderSize || message->code != 0) return false;
    return message->type == (packet.is_v4() ? kIcmpEchoRequest : kIcmpV6EchoRequest);
}

std::size_t build_echo_reply(const IpPacketView& request, std::span<std::uint8_t> out) {
    if (!is_echo_request(request)) return 0;
    const IpAddress::Family family = request.source.family();
    const std::size_t message_size = request.payload.size();
    const std::size_t total = ip_header_size(family) + message_size;
    // A request is at most one packet, so its message always fits the reply's length field.
    if (out.size() < total) return 0;

    const std::uint8_t protocol = request.is_v4() ? kProtocolIcmp : kProtocolIcmpV6;
    const std::size_t header =
        write_ip_header(out, request.destination, request.source, protocol, message_size);
    std::uint8_t* icmp = out.data() + header;
    std::memcpy(icmp, request.payload.data(), message_size);
    icmp[0] = request.is_v4() ? kIcmpEchoReply : kIcmpV6EchoReply;
    write_u16(&icmp[2], 0);
    const std::span<const std::uint8_t> message(icmp, message_size);
    const std::uint16_t checksum =
        request.is_v4()
            ? internet_checksum(message)
            : transport_checksum(request.destination, request.source, protocol, message);
    write_u16(&icmp[2], checksum);
    return total;
}

}  // namespace shunt::netstack

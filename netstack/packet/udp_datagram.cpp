#include "netstack/packet/udp_datagram.hpp"

#include <cstring>

#include "netstack/packet/checksum.hpp"
#include "netstack/packet/ip_header_writer.hpp"

namespace shunt::netstack {

std::optional<UdpDatagramView> parse_udp_datagram(const IpPacketView& packet) {
    const auto segment = packet.payload;
    if (segment.size() < kUdpHeaderSize) return std::nullopt;
    const std::size_t length = read_u16(&segment[4]);
    if (length < kUdpHeaderSize || length > segment.size()) return std::nullopt;
    UdpDatagramView view;
    view.source = {packet.source, read_u16(&segment[0])};
    view.destination = {packet.destination, read_u16(&segment[2])};
    view.payload = segment.subspan(kUdpHeaderSize, length - kUdpHeaderSize);
    return view;
}

std::size_t udp_packet_size(IpAddress::Family family, std::size_t payload_size) {
    return ip_header_size(family) + kUdpHeaderSize + payload_size;
}

std::size_t build_udp_packet(const UdpPacketSpec& spec, std::span<std::uint8_t> out) {
    const IpAddress::Family family = spec.source.address.family();
    if (spec.destination.address.family() != family) return 0;
    const std::size_t udp_length = kUdpHeaderSize + spec.payload.size();
    if (udp_length > max_transport_size(family)) return 0;
    const std::size_t total = udp_packet_size(family, spec.payload.size());
    if (out.size() < total) return 0;

    const std::size_t header = write_ip_header(out, spec.source.address, spec.destination.address,
                                               kProtocolUdp, udp_length, spec.ttl);
    std::uint8_t* udp = out.data() + header;
    write_u16(&udp[0], spec.source.port);
    write_u16(&udp[2], spec.destination.port);
    write_u16(&udp[4], static_cast<std::uint16_t>(udp_length));
    write_u16(&udp[6], 0);
    if (!spec.payload.empty()) {
        std::memcpy(udp + kUdpHeaderSize, spec.payload.data(), spec.payload.size());
    }
    std::uint16_t checksum = transport_checksum(spec.source.address, spec.destination.address,
                                                kProtocolUdp, std::span(udp, udp_length));
    // 0 means "no checksum" on the wire (and is forbidden over IPv6).
    if (checksum == 0) checksum = 0xffff;
    write_u16(&udp[6], checksum);
    return total;
}

}  // namespace shunt::netstack

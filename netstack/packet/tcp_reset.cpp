#include "netstack/packet/tcp_reset.hpp"

#include <algorithm>

#include "netstack/packet/checksum.hpp"
#include "netstack/packet/ip_header_writer.hpp"

namespace shunt::netstack {

bool is_tcp_syn(const IpPacketView& packet) {
    if (packet.protocol != kProtocolTcp || packet.payload.size() < kTcpHeaderSize) return false;
    const std::uint8_t flags = packet.payload[13];
    return (flags & kTcpSyn) && !(flags & kTcpAck);
}

std::size_t build_tcp_reset(const IpPacketView& syn, std::span<std::uint8_t> out) {
    if (syn.protocol != kProtocolTcp || syn.payload.size() < kTcpHeaderSize) return 0;
    const std::size_t ip = ip_header_size(syn.source.family());
    if (out.size() < ip + kTcpHeaderSize) return 0;
    const std::uint8_t* in = syn.payload.data();
    const std::size_t data_offset = static_cast<std::size_t>(in[12] >> 4) * 4;
    const std::size_t data = syn.payload.size() - std::min(data_offset, syn.payload.size());
    // SYN and FIN each take a sequence number.
    const std::uint32_t ack = read_u32(in + 4) + static_cast<std::uint32_t>(data) +
                              ((in[13] & kTcpSyn) ? 1 : 0) + ((in[13] & kTcpFin) ? 1 : 0);
    write_ip_header(out, syn.destination, syn.source, kProtocolTcp, kTcpHeaderSize);
    std::uint8_t* tcp = out.data() + ip;
    std::fill(tcp, tcp + kTcpHeaderSize, 0);
    write_u16(tcp, read_u16(in + 2));  // from the port it was sent to
    write_u16(tcp + 2, read_u16(in));  // back to the sender's port
    write_u32(tcp + 8, ack);           // seq 0, ack covers the SYN
    tcp[12] = 5 << 4;
    tcp[13] = kTcpRst | kTcpAck;
    write_u16(tcp + 16, transport_checksum(syn.destination, syn.source, kProtocolTcp,
                                           std::span<const std::uint8_t>(tcp, kTcpHeaderSize)));
    return ip + kTcpHeaderSize;
}

}  // namespace shunt::netstack

#include "netstack/tun/gso_coalescer.hpp"

#include <cstring>

#include "netstack/packet/checksum.hpp"
#include "netstack/packet/ip_packet.hpp"

namespace shunt::netstack {

namespace {

constexpr std::size_t kMaxPacket = 65535;

// virtio_net_hdr (legacy layout, host byte order as the TUN device expects).
constexpr std::uint8_t kNeedsChecksum = 1;
constexpr std::uint8_t kGsoTcpV4 = 1;
constexpr std::uint8_t kGsoTcpV6 = 4;

void put_u16_host(std::uint8_t* at, std::uint16_t value) {
    std::memcpy(at, &value, sizeof value);
}

}  // namespace

struct GsoCoalescer::TcpView {
    bool v6 = false;
    std::size_t ip_length = 0;   // IP header
    std::size_t tcp_offset = 0;  // = ip_length
    std::size_t payload_offset = 0;
    std::size_t payload_length = 0;
    std::uint32_t seq = 0;
    std::uint8_t flags = 0;
};

GsoCoalescer::GsoCoalescer(Writer writer) : writer_(std::move(writer)) {
    buffer_.reserve(kMaxPacket);
}

// A data segment that could be part of a run: TCP without options, ACK (and maybe PSH)
// only, payload present, IPv4 without options or fragmentation, IPv6 without extensions.
bool GsoCoalescer::parse(std::span<const std::uint8_t> p, TcpView& view) {
    if (p.size() < 40) return false;
    const int version = p[0] >> 4;
    if (version == 4) {
        if ((p[0] & 0x0f) != 5 || p[9] != kProtocolTcp) return false;
        if ((read_u16(&p[6]) & 0x3fff) != 0) return false;  // MF or an offset
        if (read_u16(&p[2]) != p.size()) return false;
        view.v6 = false;
        view.ip_length = 20;
    } else if (version == 6) {
        if (p.size() < 60 || p[6] != kProtocolTcp) return false;
        if (read_u16(&p[4]) + 40u != p.size()) return false;
        view.v6 = true;
        view.ip_length = 40;
    } else {
        return false;
    }
    const std::uint8_t* tcp = p.data() + view.ip_length;
    if ((tcp[12] >> 4) != 5) return false;  // options: leave the segment alone
    view.flags = tcp[13];
    if ((view.flags & ~(kTcpAck | kTcpPsh)) != 0 || !(view.flags & kTcpAck)) return false;
    if (read_u16(tcp + 18) != 0) return false;  // urgent pointer
    view.tcp_offset = view.ip_length;
    view.payload_offset = view.ip_length + 20;
    view.payload_length = p.size() - view.payload_offset;
    view.seq = read_u32(tcp + 4);
    return view.payload_length > 0;
}

bool GsoCoalescer::continues(const TcpView& view) const {
    if (segments_ == 0 || last_short_) return false;
    const bool pending_v6 = (buffer_[0] >> 4) == 6;
    if (view.v6 != pending_v6 || view.seq != next_seq_) return false;
    if (view.payload_length > gso_size_) return false;
    if (buffer_.size() + view.payload_length > kMaxPacket) return false;
    return true;
}

void GsoCoalescer::add(std::span<const std::uint8_t> packet) {
    TcpView view;
    if (!parse(packet, view)) {
        flush();
        write_plain(packet);
        return;
    }
    if (!continues(view) || !same_flow(packet, view)) {
        flush();
        start(packet, view);
        return;
    }
    append(view);
    buffer_.insert(buffer_.end(), packet.begin() + static_cast<std::ptrdiff_t>(view.payload_offset),
                   packet.end());
    buffer_[header_length_ - 20 + 13] |= view.flags & kTcpPsh;
}

// Same addresses and ports, the same ACK number and window: only the payload differs.
bool GsoCoalescer::same_flow(std::span<const std::uint8_t> packet, const TcpView& view) const {
    const std::uint8_t* tcp = packet.data() + view.tcp_offset;
    const std::uint8_t* first_tcp = buffer_.data() + header_length_ - 20;
    const bool addresses = view.v6 ? std::memcmp(packet.data() + 8, buffer_.data() + 8, 32) == 0
                                   : std::memcmp(packet.data() + 12, buffer_.data() + 12, 8) == 0;
    return addresses && std::memcmp(tcp, first_tcp, 4) == 0 &&
           std::memcmp(tcp + 8, first_tcp + 8, 4) == 0 &&
           std::memcmp(tcp + 14, first_tcp + 14, 2) == 0;
}

void GsoCoalescer::start(std::span<const std::uint8_t> packet, const TcpView& view) {
    buffer_.assign(packet.begin(), packet.end());
    segments_ = 1;
    header_length_ = view.payload_offset;
    gso_size_ = view.payload_length;
    last_short_ = false;
    next_seq_ = view.seq + static_cast<std::uint32_t>(view.payload_length);
}

void GsoCoalescer::append(const TcpView& view) {
    ++segments_;
    ++coalesced_;
    last_short_ = view.payload_length < gso_size_;
    next_seq_ = view.seq + static_cast<std::uint32_t>(view.payload_length);
}

void GsoCoalescer::write_plain(std::span<const std::uint8_t> packet) {
    static const std::uint8_t kPlain[10] = {};
    writer_(std::span<const std::uint8_t>(kPlain, sizeof kPlain), packet);
}

void GsoCoalescer::flush() {
    if (segments_ == 0) return;
    if (segments_ == 1) {  // nothing joined it: the segment as lwIP made it
        segments_ = 0;
        write_plain(buffer_);
        return;
    }
    const bool v6 = (buffer_[0] >> 4) == 6;
    const std::size_t ip_length = v6 ? 40 : 20;
    const auto total = static_cast<std::uint16_t>(buffer_.size());
    if (v6) {
        write_u16(&buffer_[4], static_cast<std::uint16_t>(total - 40));
    } else {
        write_u16(&buffer_[2], total);
        write_u16(&buffer_[10], 0);
        write_u16(&buffer_[10], internet_checksum(std::span(buffer_.data(), 20)));
    }
    // CHECKSUM_PARTIAL: the pseudo-header sum in the field, the kernel adds the rest.
    const auto tcp_length = static_cast<std::uint32_t>(total - ip_length);
    ChecksumAccumulator pseudo;
    if (v6) {
        pseudo.add(std::span(buffer_.data() + 8, 32));
        pseudo.add_u32(tcp_length);
        pseudo.add_u32(kProtocolTcp);
    } else {
        pseudo.add(std::span(buffer_.data() + 12, 8));
        pseudo.add_u16(kProtocolTcp);
        pseudo.add_u16(static_cast<std::uint16_t>(tcp_length));
    }
    write_u16(&buffer_[ip_length + 16], static_cast<std::uint16_t>(~pseudo.finish()));

    std::uint8_t header[10] = {};
    header[0] = kNeedsChecksum;
    header[1] = v6 ? kGsoTcpV6 : kGsoTcpV4;
    put_u16_host(header + 2, static_cast<std::uint16_t>(header_length_));
    put_u16_host(header + 4, static_cast<std::uint16_t>(gso_size_));
    put_u16_host(header + 6, static_cast<std::uint16_t>(ip_length));  // csum_start
    put_u16_host(header + 8, 16);                                     // csum_offset
    segments_ = 0;
    writer_(std::span<const std::uint8_t>(header, sizeof header), buffer_);
}

}  // namespace shunt::netstack

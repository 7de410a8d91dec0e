#include "netstack/tun/gso_coalescer.hpp"

#include <cstring>

#include "netstack/packet/checksum.hpp"
#include "netstack/packet/ip_packet.hpp"

namespace shunt::netstack {

namespace {

constexpr std::size_t kMaxPacket = 65535;

// virtio_net_hdr (legacy layout, host byte order as the TUN device expects).
constexpr std::size_t kVirtioHeader = 10;
constexpr std::uint8_t kNeedsChecksum = 1;
constexpr std::uint8_t kGsoTcpV4 = 1;
constexpr std::uint8_t kGsoTcpV6 = 4;
constexpr std::uint16_t kTcpChecksumOffset = 16;

void put_u16_host(std::uint8_t* at, std::uint16_t value) {
    std::memcpy(at, &value, sizeof value);
}

iovec part_of(const void* data, std::size_t length) {
    return {const_cast<void*>(data), length};
}

// CHECKSUM_PARTIAL: the pseudo-header's folded sum (not complemented) in the TCP checksum
// field; the kernel adds the segment from csum_start and stores the complement.
void write_pseudo_header_sum(std::uint8_t* ip, bool v6, std::size_t ip_length,
                             std::size_t tcp_length) {
    ChecksumAccumulator pseudo;
    if (v6) {
        pseudo.add(std::span<const std::uint8_t>(ip + 8, 32));
        pseudo.add_u32(static_cast<std::uint32_t>(tcp_length));
        pseudo.add_u32(kProtocolTcp);
    } else {
        pseudo.add(std::span<const std::uint8_t>(ip + 12, 8));
        pseudo.add_u16(kProtocolTcp);
        pseudo.add_u16(static_cast<std::uint16_t>(tcp_length));
    }
    write_u16(ip + ip_length + kTcpChecksumOffset, static_cast<std::uint16_t>(~pseudo.finish()));
}

void ask_for_checksum(std::uint8_t* virtio, std::size_t ip_length) {
    virtio[0] = kNeedsChecksum;
    put_u16_host(virtio + 6, static_cast<std::uint16_t>(ip_length));  // csum_start
    put_u16_host(virtio + 8, kTcpChecksumOffset);                     // csum_offset
}

}  // namespace

struct GsoCoalescer::TcpView {
    bool v6 = false;
    std::size_t ip_length = 0;      // IP header
    std::size_t header_length = 0;  // IP + TCP
    std::size_t payload_length = 0;
    std::uint32_t seq = 0;
    std::uint8_t flags = 0;
};

GsoCoalescer::GsoCoalescer(Writer writer, bool partial_checksums)
    : writer_(std::move(writer)), partial_checksums_(partial_checksums) {
    iov_.reserve(64);
}

// A data segment that could be part of a run: TCP without options, ACK (and maybe PSH)
// only, payload present, IPv4 without options or fragmentation, IPv6 without extensions,
// headers in the first part.
bool GsoCoalescer::parse(const OutgoingPacket& packet, TcpView& view) {
    if (!packet.starts_with(40)) return false;
    const std::uint8_t* p = packet.data();
    const int version = p[0] >> 4;
    if (version == 4) {
        if ((p[0] & 0x0f) != 5 || p[9] != kProtocolTcp) return false;
        if ((read_u16(&p[6]) & 0x3fff) != 0) return false;  // MF or an offset
        if (read_u16(&p[2]) != packet.size()) return false;
        view.v6 = false;
        view.ip_length = 20;
    } else if (version == 6) {
        if (!packet.starts_with(60) || p[6] != kProtocolTcp) return false;
        if (read_u16(&p[4]) + 40u != packet.size()) return false;
        view.v6 = true;
        view.ip_length = 40;
    } else {
        return false;
    }
    const std::uint8_t* tcp = p + view.ip_length;
    if ((tcp[12] >> 4) != 5) return false;  // options: leave the segment alone
    view.flags = tcp[13];
    if ((view.flags & ~(kTcpAck | kTcpPsh)) != 0 || !(view.flags & kTcpAck)) return false;
    if (read_u16(tcp + 18) != 0) return false;  // urgent pointer
    view.header_length = view.ip_length + 20;
    view.payload_length = packet.size() - view.header_length;
    view.seq = read_u32(tcp + 4);
    return view.payload_length > 0;
}

bool GsoCoalescer::continues(const OutgoingPacket& packet, const TcpView& view) const {
    if (run_.empty() || last_short_) return false;
    const bool pending_v6 = (header_[0] >> 4) == 6;
    if (view.v6 != pending_v6 || view.seq != next_seq_) return false;
    if (view.payload_length > gso_size_) return false;
    if (run_bytes_ + view.payload_length > kMaxPacket) return false;
    if (run_parts_ + packet.parts().size() + 2 > kMaxIov) return false;
    return true;
}

void GsoCoalescer::add(OutgoingPacket packet) {
    TcpView view;
    if (!parse(packet, view)) {
        flush();
        write_single(packet);
        return;
    }
    if (!continues(packet, view) || !same_flow(packet, view)) {
        flush();
        start(std::move(packet), view);
        return;
    }
    append(std::move(packet), view);
}

// Same addresses and ports, the same ACK number and window: only the payload differs.
bool GsoCoalescer::same_flow(const OutgoingPacket& packet, const TcpView& view) const {
    const std::uint8_t* p = packet.data();
    const std::uint8_t* tcp = p + view.ip_length;
    const std::uint8_t* first_tcp = header_.data() + view.ip_length;
    const bool addresses = view.v6 ? std::memcmp(p + 8, header_.data() + 8, 32) == 0
                                   : std::memcmp(p + 12, header_.data() + 12, 8) == 0;
    return addresses && std::memcmp(tcp, first_tcp, 4) == 0 &&
           std::memcmp(tcp + 8, first_tcp + 8, 4) == 0 &&
           std::memcmp(tcp + 14, first_tcp + 14, 2) == 0;
}

void GsoCoalescer::start(OutgoingPacket packet, const TcpView& view) {
    std::memcpy(header_.data(), packet.data(), view.header_length);
    header_length_ = view.header_length;
    gso_size_ = view.payload_length;
    last_short_ = false;
    next_seq_ = view.seq + static_cast<std::uint32_t>(view.payload_length);
    run_bytes_ = packet.size();
    run_parts_ = packet.parts().size();
    run_.push_back(std::move(packet));
}

void GsoCoalescer::append(OutgoingPacket packet, const TcpView& view) {
    ++coalesced_;
    last_short_ = view.payload_length < gso_size_;
    next_seq_ = view.seq + static_cast<std::uint32_t>(view.payload_length);
    run_bytes_ += view.payload_length;
    run_parts_ += packet.parts().size();
    header_[header_length_ - 20 + 13] |= view.flags & kTcpPsh;
    run_.push_back(std::move(packet));
}

// The packet's parts from byte `skip` on.
void GsoCoalescer::add_payload_parts(const OutgoingPacket& packet, std::size_t skip) {
    for (const auto& part : packet.parts()) {
        if (skip >= part.size()) {
            skip -= part.size();
            continue;
        }
        iov_.push_back(part_of(part.data() + skip, part.size() - skip));
        skip = 0;
    }
}

// One packet as it is, with a zero virtio header; a TCP packet whose checksum the kernel
// is to finish gets the pseudo-header sum in a copy of its header.
void GsoCoalescer::write_single(const OutgoingPacket& packet) {
    std::uint8_t virtio[kVirtioHeader] = {};
    iov_.clear();
    iov_.push_back(part_of(virtio, sizeof virtio));
    const std::uint8_t* p = packet.data();
    std::size_t ip_length = 0;
    if (partial_checksums_ && packet.size() >= 20) {
        if ((p[0] >> 4) == 4 && p[9] == kProtocolTcp)
            ip_length = static_cast<std::size_t>(p[0] & 0x0f) * 4;
        else if ((p[0] >> 4) == 6 && packet.size() >= 40 && p[6] == kProtocolTcp)
            ip_length = 40;
    }
    std::array<std::uint8_t, kMaxHeader> header;
    if (ip_length >= 20 && packet.starts_with(ip_length + 20) && ip_length + 20 <= kMaxHeader) {
        const std::size_t copied = ip_length + 20;
        std::memcpy(header.data(), p, copied);
        write_pseudo_header_sum(header.data(), (p[0] >> 4) == 6, ip_length,
                                packet.size() - ip_length);
        ask_for_checksum(virtio, ip_length);
        iov_.push_back(part_of(header.data(), copied));
        add_payload_parts(packet, copied);
    } else {
        add_payload_parts(packet, 0);
    }
    writer_(iov_);
}

void GsoCoalescer::flush() {
    if (run_.empty()) return;
    if (run_.size() == 1) {  // nothing joined it: the segment as lwIP made it
        write_single(run_.front());
        run_.clear();
        return;
    }
    const bool v6 = (header_[0] >> 4) == 6;
    const std::size_t ip_length = v6 ? 40 : 20;
    const auto total = static_cast<std::uint16_t>(run_bytes_);
    if (v6) {
        write_u16(&header_[4], static_cast<std::uint16_t>(total - 40));
    } else {
        write_u16(&header_[2], total);
        write_u16(&header_[10], 0);
        write_u16(&header_[10], internet_checksum(std::span(header_.data(), 20)));
    }
    write_pseudo_header_sum(header_.data(), v6, ip_length, total - ip_length);

    std::uint8_t virtio[kVirtioHeader] = {};
    ask_for_checksum(virtio, ip_length);
    virtio[1] = v6 ? kGsoTcpV6 : kGsoTcpV4;
    put_u16_host(virtio + 2, static_cast<std::uint16_t>(header_length_));
    put_u16_host(virtio + 4, static_cast<std::uint16_t>(gso_size_));
    iov_.clear();
    iov_.push_back(part_of(virtio, sizeof virtio));
    iov_.push_back(part_of(header_.data(), header_length_));
    for (const auto& segment : run_) add_payload_parts(segment, header_length_);
    writer_(iov_);
    run_.clear();  // gives the pbufs back to lwIP
}

}  // namespace shunt::netstack

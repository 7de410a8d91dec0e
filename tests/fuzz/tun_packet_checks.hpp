// What every packet shunt writes into its TUN device must be, checked on the fuzzer's end
// of the fake device with code of its own (not the netstack's parsers or checksum helpers,
// which are under test):
//  - one whole IPv4 or IPv6 packet: version, header length, total / payload length equal
//    to what was written, a correct IPv4 header checksum;
//  - TCP, UDP or ICMP inside, its own lengths consistent, its checksum correct — or, on an
//    offloading device, a TCP checksum left partial exactly as the virtio_net_hdr says the
//    kernel is to finish it (the check finishes it as the kernel would);
//  - a GSO packet (virtio gso_type set) only for TCP of its own family, with the header
//    length and a segment size that make it more than one segment, at most 65,535 bytes;
//  - a TCP segment that is not GSO no longer than the MTU (lwIP's MSS accounts for it);
//  - sent only to an address that sent something into the device.
// A violation is __builtin_trap(), a crash libFuzzer records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace shunt::fuzz {

inline void require(bool condition) {
    if (!condition) __builtin_trap();
}

inline std::uint16_t be16(const std::uint8_t* at) {
    return static_cast<std::uint16_t>((at[0] << 8) | at[1]);
}

inline std::uint32_t be32(const std::uint8_t* at) {
    return (std::uint32_t{at[0]} << 24) | (std::uint32_t{at[1]} << 16) |
           (std::uint32_t{at[2]} << 8) | at[3];
}

// RFC 1071, unfolded: sum of 16-bit big-endian words, an odd last byte padded with zero.
inline std::uint64_t ones_sum(std::span<const std::uint8_t> bytes, std::uint64_t sum = 0) {
    std::size_t i = 0;
    for (; i + 1 < bytes.size(); i += 2) sum += be16(&bytes[i]);
    if (i < bytes.size()) sum += std::uint64_t{bytes[i]} << 8;
    return sum;
}

inline std::uint16_t fold(std::uint64_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

// The pseudo-header of RFC 768 / RFC 8200 8.1 for a segment of `length` bytes.
inline std::uint64_t pseudo_sum(std::span<const std::uint8_t> ip, bool v6, std::uint8_t protocol,
                                std::size_t length) {
    std::uint64_t sum = v6 ? ones_sum(ip.subspan(8, 32)) : ones_sum(ip.subspan(12, 8));
    return sum + protocol + (length & 0xffff) + (length >> 16);
}

// The virtio_net_hdr an offloading device puts first (host byte order).
struct VirtioHeader {
    std::uint8_t flags = 0;
    std::uint8_t gso_type = 0;
    std::uint16_t header_length = 0;
    std::uint16_t gso_size = 0;
    std::uint16_t csum_start = 0;
    std::uint16_t csum_offset = 0;
};
inline constexpr std::size_t kVirtioSize = 10;
inline constexpr std::uint8_t kNeedsChecksum = 1;
inline constexpr std::uint8_t kGsoTcpV4 = 1;
inline constexpr std::uint8_t kGsoTcpV6 = 4;

inline VirtioHeader read_virtio(const std::uint8_t* at) {
    VirtioHeader h;
    h.flags = at[0];
    h.gso_type = at[1];
    std::memcpy(&h.header_length, at + 2, 2);
    std::memcpy(&h.gso_size, at + 4, 2);
    std::memcpy(&h.csum_start, at + 6, 2);
    std::memcpy(&h.csum_offset, at + 8, 2);
    return h;
}

struct OutputFacts {
    bool v6 = false;
    std::uint8_t protocol = 0;
    std::span<const std::uint8_t> ip;         // the whole packet
    std::span<const std::uint8_t> transport;  // the segment after the IP header
};

// The transport segment: its own length fields and its checksum. `partial` is a TCP
// checksum the kernel is to finish (pseudo-header sum in place, CHECKSUM_PARTIAL).
inline void check_transport(const OutputFacts& p, bool partial) {
    const auto segment = p.transport;
    switch (p.protocol) {
        case 6: {  // TCP
            require(segment.size() >= 20);
            const std::size_t data_offset = static_cast<std::size_t>(segment[12] >> 4) * 4;
            require(data_offset >= 20 && data_offset <= segment.size());
            const std::uint64_t pseudo = pseudo_sum(p.ip, p.v6, 6, segment.size());
            if (partial) {
                // The field holds the folded pseudo-header sum; the kernel sums the segment
                // from there and stores the complement: that must verify.
                require(be16(&segment[16]) == fold(pseudo));
                const std::uint16_t finished = static_cast<std::uint16_t>(~fold(ones_sum(segment)));
                std::uint64_t sum = pseudo + ones_sum(segment) - be16(&segment[16]) + finished;
                require(fold(sum) == 0xffff);
            } else {
                require(fold(ones_sum(segment, pseudo)) == 0xffff);
            }
            return;
        }
        case 17: {  // UDP
            require(segment.size() >= 8);
            require(be16(&segment[4]) == segment.size());
            const bool none = be16(&segment[6]) == 0;
            require(!(none && p.v6));  // IPv6 forbids "no checksum"
            if (!none)
                require(fold(ones_sum(segment, pseudo_sum(p.ip, p.v6, 17, segment.size()))) ==
                        0xffff);
            return;
        }
        case 1:  // ICMP: the message alone
            require(!p.v6 && segment.size() >= 8);
            require(fold(ones_sum(segment)) == 0xffff);
            return;
        case 58:  // ICMPv6: with the pseudo-header
            require(p.v6 && segment.size() >= 8);
            require(fold(ones_sum(segment, pseudo_sum(p.ip, true, 58, segment.size()))) == 0xffff);
            return;
        default:
            require(false);  // shunt writes nothing else
    }
}

// The IP header; fills `facts`. Fragments are never written (lwIP's segments fit the MTU,
// and shunt's own replies are never fragmented).
inline OutputFacts check_ip(std::span<const std::uint8_t> packet) {
    OutputFacts facts;
    require(!packet.empty());
    facts.ip = packet;
    const int version = packet[0] >> 4;
    if (version == 4) {
        require(packet.size() >= 20);
        const std::size_t header = std::size_t{packet[0] & 0x0fu} * 4;
        require(header >= 20 && header <= packet.size());
        require(be16(&packet[2]) == packet.size());
        require(fold(ones_sum(packet.first(header))) == 0xffff);
        require((be16(&packet[6]) & 0x3fff) == 0);  // neither MF nor an offset
        facts.protocol = packet[9];
        facts.transport = packet.subspan(header);
    } else {
        require(version == 6);
        require(packet.size() >= 40);
        require(std::size_t{be16(&packet[4])} + 40 == packet.size());
        facts.v6 = true;
        facts.protocol = packet[6];  // no extension headers: shunt adds none
        facts.transport = packet.subspan(40);
    }
    return facts;
}

}  // namespace shunt::fuzz

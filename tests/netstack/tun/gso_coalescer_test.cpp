// GsoCoalescer: lwIP's segments of one flow become one GSO packet for the TUN device; the
// kernel would finish its checksum and cut it back into the same segments.
#include "netstack/tun/gso_coalescer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "netstack/packet/checksum.hpp"

namespace shunt::netstack {
namespace {

struct Written {
    std::vector<std::uint8_t> header;
    std::vector<std::uint8_t> packet;
};

std::uint16_t host_u16(const std::uint8_t* at) {
    std::uint16_t v;
    std::memcpy(&v, at, 2);
    return v;
}

// An IPv4 (or IPv6) TCP segment 10.0.0.1:80 -> 10.0.0.2:5000 with `payload` bytes.
std::vector<std::uint8_t> segment(std::uint32_t seq, std::size_t payload, std::uint8_t flags,
                                  bool v6 = false) {
    const std::size_t ip = v6 ? 40 : 20;
    std::vector<std::uint8_t> p(ip + 20 + payload, 0);
    if (v6) {
        p[0] = 0x60;
        write_u16(&p[4], static_cast<std::uint16_t>(20 + payload));
        p[6] = 6;
        p[7] = 64;
        p[23] = 1;  // fd00::1 -> fd00::2 (enough to differ)
        p[8] = 0xfd;
        p[24] = 0xfd;
        p[39] = 2;
    } else {
        p[0] = 0x45;
        write_u16(&p[2], static_cast<std::uint16_t>(p.size()));
        write_u16(&p[6], 0x4000);  // DF
        p[8] = 64;
        p[9] = 6;
        const std::uint8_t addresses[8] = {10, 0, 0, 1, 10, 0, 0, 2};
        std::memcpy(&p[12], addresses, 8);
        write_u16(&p[10], internet_checksum(std::span(p.data(), 20)));
    }
    std::uint8_t* tcp = p.data() + ip;
    write_u16(tcp, 80);
    write_u16(tcp + 2, 5000);
    tcp[4] = static_cast<std::uint8_t>(seq >> 24);
    tcp[5] = static_cast<std::uint8_t>(seq >> 16);
    tcp[6] = static_cast<std::uint8_t>(seq >> 8);
    tcp[7] = static_cast<std::uint8_t>(seq);
    tcp[11] = 7;  // ack 7
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    write_u16(tcp + 14, 4096);
    for (std::size_t i = 0; i < payload; ++i) tcp[20 + i] = static_cast<std::uint8_t>(seq + i);
    return p;
}

// What the writer got, joined: the virtio header, then the packet's parts.
Written join(std::span<const iovec> parts) {
    std::vector<std::uint8_t> all;
    for (const auto& part : parts) {
        const auto* bytes = static_cast<const std::uint8_t*>(part.iov_base);
        all.insert(all.end(), bytes, bytes + part.iov_len);
    }
    return {{all.begin(), all.begin() + 10}, {all.begin() + 10, all.end()}};
}

class GsoCoalescerTest : public ::testing::Test {
  protected:
    void add(const std::vector<std::uint8_t>& packet) {
        coalescer_.add(OutgoingPacket(std::span<const std::uint8_t>(packet)));
    }
    GsoCoalescer coalescer_{
        [this](std::span<const iovec> parts) { written_.push_back(join(parts)); },
        /*partial_checksums=*/false};
    std::vector<Written> written_;
};

// lwIP's own segments: checksum field left zero for the kernel, packets held by reference.
class PartialChecksumTest : public ::testing::Test {
  protected:
    GsoCoalescer coalescer_{[this](std::span<const iovec> parts) {
                                written_.push_back(join(parts));
                                writes_seen_released_.push_back(released_);
                            },
                            /*partial_checksums=*/true};
    std::vector<Written> written_;
    std::vector<int> writes_seen_released_;
    int released_ = 0;
};

// The kernel's part of CHECKSUM_PARTIAL: sum from csum_start, store the complement.
std::vector<std::uint8_t> finish_checksum(const Written& w) {
    std::vector<std::uint8_t> p = w.packet;
    const std::size_t start = host_u16(&w.header[6]);
    const std::size_t offset = host_u16(&w.header[8]);
    const std::uint16_t sum = internet_checksum(std::span(p.data() + start, p.size() - start));
    write_u16(&p[start + offset], sum);
    return p;
}

TEST_F(GsoCoalescerTest, ARunOfSegmentsBecomesOneGsoPacketWithAPartialChecksum) {
    add(segment(1000, 1000, 0x10));
    add(segment(2000, 1000, 0x10));
    add(segment(3000, 500, 0x18));  // PSH on the last
    EXPECT_TRUE(written_.empty()) << "nothing leaves before the flush";
    coalescer_.flush();
    ASSERT_EQ(written_.size(), 1u);
    const auto& h = written_[0].header;
    const auto& p = written_[0].packet;
    EXPECT_EQ(h[0], 1);  // NEEDS_CSUM
    EXPECT_EQ(h[1], 1);  // TCPV4
    EXPECT_EQ(host_u16(&h[2]), 40);
    EXPECT_EQ(host_u16(&h[4]), 1000);  // gso_size
    EXPECT_EQ(host_u16(&h[6]), 20);
    EXPECT_EQ(host_u16(&h[8]), 16);
    ASSERT_EQ(p.size(), 40u + 2500u);
    EXPECT_EQ(read_u16(&p[2]), 2540);
    EXPECT_EQ(internet_checksum(std::span(p.data(), 20)), 0) << "IPv4 header checksum";
    EXPECT_EQ(p[20 + 13], 0x18) << "PSH carried to the combined header";
    // Payloads in order.
    for (std::size_t i = 0; i < 2500; ++i)
        ASSERT_EQ(p[40 + i], static_cast<std::uint8_t>(1000 + i)) << i;
    // What the kernel does: sum from csum_start, store the complement; then it verifies.
    std::vector<std::uint8_t> finished = p;
    const std::uint16_t full = internet_checksum(std::span(finished.data() + 20, 2520));
    write_u16(&finished[36], full);
    const auto source = IpAddress::from_v4(0x0a000001);
    const auto destination = IpAddress::from_v4(0x0a000002);
    EXPECT_EQ(transport_checksum(source, destination, 6, std::span(finished.data() + 20, 2520)), 0);
    EXPECT_EQ(coalescer_.segments_coalesced(), 2u);
}

TEST_F(GsoCoalescerTest, GapsFlagsAndOtherPacketsKeepOrderAndStayPlain) {
    add(segment(1000, 1000, 0x10));
    add(segment(2500, 1000, 0x10));  // not contiguous: a new run
    add(segment(3500, 0, 0x11));     // FIN without data: plain, after a flush
    coalescer_.flush();
    ASSERT_EQ(written_.size(), 3u);
    for (const auto& w : written_) EXPECT_EQ(w.header, std::vector<std::uint8_t>(10, 0));
    EXPECT_EQ(written_[0].packet, segment(1000, 1000, 0x10)) << "a lone segment is unchanged";
    EXPECT_EQ(written_[1].packet, segment(2500, 1000, 0x10));
    EXPECT_EQ(written_[2].packet, segment(3500, 0, 0x11));
}

TEST_F(GsoCoalescerTest, AShortSegmentEndsTheRunAndSizesStayBelow64K) {
    add(segment(0, 1000, 0x10));
    add(segment(1000, 400, 0x10));
    add(segment(1400, 1000, 0x10));  // after a short one: a new run
    for (std::uint32_t seq = 2400; seq < 2400 + 80 * 1000; seq += 1000)
        add(segment(seq, 1000, 0x10));
    coalescer_.flush();
    ASSERT_GE(written_.size(), 3u);
    EXPECT_EQ(written_[0].packet.size(), 40u + 1400u);
    for (const auto& w : written_) EXPECT_LE(w.packet.size(), 65535u);
}

TEST_F(GsoCoalescerTest, ARunNeedingMoreThanWritevsPartsIsSplit) {
    // 7-byte segments in 8 parts each: 1024 iovecs would come long before 64 KB.
    std::vector<std::vector<std::uint8_t>> bytes;
    for (std::uint32_t seq = 0; seq < 200 * 7; seq += 7) bytes.push_back(segment(seq, 7, 0x10));
    for (auto& b : bytes) {
        OutgoingPacket packet;
        packet.add_part(std::span<const std::uint8_t>(b.data(), 40));
        for (int i = 0; i < 7; ++i)
            EXPECT_TRUE(packet.add_part(std::span<const std::uint8_t>(b.data() + 40 + i, 1)));
        coalescer_.add(std::move(packet));
    }
    coalescer_.flush();
    ASSERT_EQ(written_.size(), 2u) << "200 segments of 8 parts: two writes of <= 1024 parts";
    std::size_t payload = 0;
    for (const auto& w : written_) payload += w.packet.size() - 40;
    EXPECT_EQ(payload, 200u * 7);
    for (std::size_t i = 0; i < written_[0].packet.size() - 40; ++i)
        ASSERT_EQ(written_[0].packet[40 + i], static_cast<std::uint8_t>(i)) << i;
}

TEST_F(GsoCoalescerTest, Ipv6RunsUseTcpV6) {
    add(segment(0, 1200, 0x10, true));
    add(segment(1200, 1200, 0x10, true));
    coalescer_.flush();
    ASSERT_EQ(written_.size(), 1u);
    EXPECT_EQ(written_[0].header[1], 4);  // TCPV6
    EXPECT_EQ(host_u16(&written_[0].header[6]), 40);
    EXPECT_EQ(read_u16(&written_[0].packet[4]), 20 + 2400);
}

TEST_F(PartialChecksumTest, EveryTcpPacketAsksTheKernelAndVerifiesOnceFinished) {
    const auto source = IpAddress::from_v4(0x0a000001);
    const auto destination = IpAddress::from_v4(0x0a000002);
    auto syn_ack = segment(0, 0, 0x12);
    auto data = segment(1, 700, 0x18);
    for (auto* p : {&syn_ack, &data}) write_u16(&(*p)[36], 0);  // lwIP left it to the kernel
    const auto syn_ack_before = syn_ack;
    coalescer_.add(OutgoingPacket(std::span<const std::uint8_t>(syn_ack)));
    coalescer_.add(OutgoingPacket(std::span<const std::uint8_t>(data)));
    coalescer_.flush();
    ASSERT_EQ(written_.size(), 2u);
    for (const auto& w : written_) {
        EXPECT_EQ(w.header[0], 1) << "NEEDS_CSUM";
        EXPECT_EQ(w.header[1], 0) << "not GSO";
        EXPECT_EQ(host_u16(&w.header[6]), 20);
        EXPECT_EQ(host_u16(&w.header[8]), 16);
        const auto finished = finish_checksum(w);
        EXPECT_EQ(transport_checksum(source, destination, 6,
                                     std::span(finished.data() + 20, finished.size() - 20)),
                  0);
    }
    EXPECT_EQ(syn_ack, syn_ack_before) << "the caller's bytes (lwIP's pbuf) are not written to";
    EXPECT_EQ(written_[1].packet.size(), data.size());
}

TEST_F(PartialChecksumTest, Ipv6AndNonTcpPackets) {
    auto v6 = segment(0, 100, 0x18, true);
    std::vector<std::uint8_t> udp(28, 0);
    udp[0] = 0x45;
    udp[9] = 17;
    coalescer_.add(OutgoingPacket(std::span<const std::uint8_t>(v6)));
    coalescer_.add(OutgoingPacket(std::span<const std::uint8_t>(udp)));
    coalescer_.flush();
    ASSERT_EQ(written_.size(), 2u);
    EXPECT_EQ(written_[0].header[0], 1);
    EXPECT_EQ(host_u16(&written_[0].header[6]), 40);
    std::array<std::uint8_t, 16> a{}, b{};
    a[0] = 0xfd;
    a[15] = 1;
    b[0] = 0xfd;
    b[15] = 2;
    const auto finished = finish_checksum(written_[0]);
    EXPECT_EQ(transport_checksum(IpAddress::from_v6(a), IpAddress::from_v6(b), 6,
                                 std::span(finished.data() + 40, finished.size() - 40)),
              0);
    EXPECT_EQ(written_[1].header, std::vector<std::uint8_t>(10, 0)) << "UDP as it is";
    EXPECT_EQ(written_[1].packet, udp);
}

TEST_F(PartialChecksumTest, HeldSegmentsAreReleasedOnlyAfterTheirWrite) {
    std::vector<std::vector<std::uint8_t>> bytes = {
        segment(0, 1000, 0x10), segment(1000, 1000, 0x10), segment(2000, 1000, 0x10)};
    for (auto& b : bytes) {
        OutgoingPacket packet(&released_, [](void* owner) { ++*static_cast<int*>(owner); });
        packet.add_part(std::span<const std::uint8_t>(b.data(), 40));
        packet.add_part(std::span<const std::uint8_t>(b.data() + 40, b.size() - 40));
        coalescer_.add(std::move(packet));
    }
    EXPECT_EQ(released_, 0) << "held for the run";
    coalescer_.flush();
    ASSERT_EQ(written_.size(), 1u);
    EXPECT_EQ(writes_seen_released_[0], 0) << "the pbufs were alive while written";
    EXPECT_EQ(released_, 3);
    EXPECT_EQ(written_[0].header[1], 1) << "GSO TCPv4";
    EXPECT_EQ(written_[0].packet.size(), 40u + 3000u);
}

}  // namespace
}  // namespace shunt::netstack

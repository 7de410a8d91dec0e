// GsoCoalescer: lwIP's segments of one flow become one GSO packet for the TUN device; the
// kernel would finish its checksum and cut it back into the same segments.
#include "netstack/tun/gso_coalescer.hpp"

#include <gtest/gtest.h>

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

class GsoCoalescerTest : public ::testing::Test {
  protected:
    GsoCoalescer coalescer_{[this](auto header, auto packet) {
        written_.push_back({{header.begin(), header.end()}, {packet.begin(), packet.end()}});
    }};
    std::vector<Written> written_;
};

TEST_F(GsoCoalescerTest, ARunOfSegmentsBecomesOneGsoPacketWithAPartialChecksum) {
    coalescer_.add(segment(1000, 1000, 0x10));
    coalescer_.add(segment(2000, 1000, 0x10));
    coalescer_.add(segment(3000, 500, 0x18));  // PSH on the last
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
    coalescer_.add(segment(1000, 1000, 0x10));
    coalescer_.add(segment(2500, 1000, 0x10));  // not contiguous: a new run
    coalescer_.add(segment(3500, 0, 0x11));     // FIN without data: plain, after a flush
    coalescer_.flush();
    ASSERT_EQ(written_.size(), 3u);
    for (const auto& w : written_) EXPECT_EQ(w.header, std::vector<std::uint8_t>(10, 0));
    EXPECT_EQ(written_[0].packet, segment(1000, 1000, 0x10)) << "a lone segment is unchanged";
    EXPECT_EQ(written_[1].packet, segment(2500, 1000, 0x10));
    EXPECT_EQ(written_[2].packet, segment(3500, 0, 0x11));
}

TEST_F(GsoCoalescerTest, AShortSegmentEndsTheRunAndSizesStayBelow64K) {
    coalescer_.add(segment(0, 1000, 0x10));
    coalescer_.add(segment(1000, 400, 0x10));
    coalescer_.add(segment(1400, 1000, 0x10));  // after a short one: a new run
    for (std::uint32_t seq = 2400; seq < 2400 + 80 * 1000; seq += 1000)
        coalescer_.add(segment(seq, 1000, 0x10));
    coalescer_.flush();
    ASSERT_GE(written_.size(), 3u);
    EXPECT_EQ(written_[0].packet.size(), 40u + 1400u);
    for (const auto& w : written_) EXPECT_LE(w.packet.size(), 65535u);
}

TEST_F(GsoCoalescerTest, Ipv6RunsUseTcpV6) {
    coalescer_.add(segment(0, 1200, 0x10, true));
    coalescer_.add(segment(1200, 1200, 0x10, true));
    coalescer_.flush();
    ASSERT_EQ(written_.size(), 1u);
    EXPECT_EQ(written_[0].header[1], 4);  // TCPV6
    EXPECT_EQ(host_u16(&written_[0].header[6]), 40);
    EXPECT_EQ(read_u16(&written_[0].packet[4]), 20 + 2400);
}

}  // namespace
}  // namespace shunt::netstack

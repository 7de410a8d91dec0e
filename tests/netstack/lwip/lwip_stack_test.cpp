// LwipStack's input boundary without a TUN device: packets go in as the pump hands them
// over, and what lwIP answers is captured from the writer. The boundary must not pass lwIP
// a packet it cannot hold or would read past:
//  - a pbuf's length is 16 bits, and a read longer than 65,535 bytes (a 64 KB GSO packet
//    from an offloading device, after its virtio header) used to wrap: lwIP then took the
//    first (size mod 65,536) bytes for a whole packet;
//  - lwIP's TCP option parser reads the length byte of an option that ends the header
//    before checking it, one byte past a segment without payload (found by
//    fuzz_tun_packets; AddressSanitizer reported it in lwIP's tcp_parseopt);
//  - lwIP answers a segment to :: from ::, through a null pointer (found by
//    fuzz_tun_packets; UndefinedBehaviorSanitizer reported it in ip6_output_if).
// The Debug build's sanitizers are what fail these cases without the fixes.
#include "netstack/lwip/lwip_stack.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "netstack/packet/checksum.hpp"
#include "netstack/packet/ip_packet.hpp"

// lwIP last: its byte-order macros would rename the libc declarations included above.
extern "C" {
#include <lwip/priv/tcp_priv.h>
}

namespace shunt::netstack {
namespace {

// A TCP SYN 10.0.0.2:40000 -> 198.18.0.5:80 (IPv4) with `options` (a multiple of 4
// bytes), checksums right.
std::vector<std::uint8_t> ipv4_syn(std::vector<std::uint8_t> options = {}) {
    const std::size_t tcp_length = 20 + options.size();
    std::vector<std::uint8_t> packet(20 + tcp_length, 0);
    packet[0] = 0x45;
    write_u16(&packet[2], static_cast<std::uint16_t>(packet.size()));
    packet[8] = 64;
    packet[9] = kProtocolTcp;
    const std::uint8_t source[4] = {10, 0, 0, 2};
    const std::uint8_t destination[4] = {198, 18, 0, 5};
    for (int i = 0; i < 4; ++i) {
        packet[12 + i] = source[i];
        packet[16 + i] = destination[i];
    }
    write_u16(&packet[10], internet_checksum(std::span(packet.data(), 20)));
    std::uint8_t* tcp = packet.data() + 20;
    write_u16(tcp, 40000);
    write_u16(tcp + 2, 80);
    write_u32(tcp + 4, 1000);  // seq
    tcp[12] = static_cast<std::uint8_t>((tcp_length / 4) << 4);
    tcp[13] = kTcpSyn;
    write_u16(tcp + 14, 65535);  // window
    std::copy(options.begin(), options.end(), tcp + 20);
    write_u16(tcp + 16,
              transport_checksum(*IpAddress::parse("10.0.0.2"), *IpAddress::parse("198.18.0.5"),
                                 kProtocolTcp, std::span<const std::uint8_t>(tcp, tcp_length)));
    return packet;
}

class LwipStackInputTest : public ::testing::Test {
  protected:
    LwipStackInputTest()
        : stack_(
              io_.get_executor(), 9000,
              [this](OutgoingPacket packet) { written_.push_back(packet.size()); },
              [](tcp_pcb*) {}) {}

    boost::asio::io_context io_;
    std::vector<std::size_t> written_;  // before the stack: its destructor may still write
    LwipStack stack_;
};

TEST_F(LwipStackInputTest, ASynIsAnsweredWithASynAck) {
    stack_.input(ipv4_syn());
    EXPECT_EQ(written_.size(), 1u) << "the SYN-ACK";
    EXPECT_EQ(stack_.stats().packets_in, 1u);
    EXPECT_EQ(stack_.stats().input_refused, 0u);
}

// 65,536 + 40 bytes that start with a SYN: taken modulo 65,536, lwIP saw a 40-byte SYN and
// answered it. The whole read is no packet lwIP can hold: dropped, counted, unanswered.
TEST_F(LwipStackInputTest, APacketLongerThanAPbufHoldsIsDroppedNotWrapped) {
    auto packet = ipv4_syn();
    packet.resize(0x10000 + 40, 0);
    stack_.input(packet);
    EXPECT_TRUE(written_.empty()) << "lwIP answered a wrapped 40-byte packet";
    EXPECT_EQ(stack_.stats().input_refused, 1u);
    EXPECT_EQ(stack_.stats().packets_in, 0u);
    EXPECT_EQ(LwipStack::pcb_count(), 0u);
}

// Exactly 65,536 bytes wrapped to a zero-length pbuf, whose header lwIP read past the end
// of the allocation (AddressSanitizer reports it in the Debug build).
TEST_F(LwipStackInputTest, A65536BytePacketNeverBecomesAnEmptyPbuf) {
    auto packet = ipv4_syn();
    packet.resize(0x10000, 0);
    stack_.input(packet);
    EXPECT_TRUE(written_.empty());
    EXPECT_EQ(stack_.stats().input_refused, 1u);
}

// The largest packet a pbuf holds still goes in (lwIP trims it to the IP total length).
TEST_F(LwipStackInputTest, A65535BytePacketStillGoesIn) {
    auto packet = ipv4_syn();
    packet.resize(0xffff, 0);
    stack_.input(packet);
    EXPECT_EQ(stack_.stats().packets_in, 1u);
    EXPECT_EQ(stack_.stats().input_refused, 0u);
    EXPECT_EQ(written_.size(), 1u) << "the SYN-ACK";
}

// The header ends in an option kind with no room for its length byte: lwIP reads that
// byte anyway. It must land inside the buffer (the zero tailroom LwipStack adds), where
// it reads as a bad length: the options end there, and the SYN is answered as usual.
TEST_F(LwipStackInputTest, AnOptionKindEndingTheHeaderIsNotReadPastTheBuffer) {
    for (const std::uint8_t kind : {std::uint8_t{0x60}, std::uint8_t{2}, std::uint8_t{3}}) {
        written_.clear();
        // NOPs, then a kind alone. 48 bytes: lwIP rounds a pbuf's size up to a multiple
        // of 8, so only a packet of such a size ends exactly where its allocation does.
        stack_.input(ipv4_syn({1, 1, 1, 1, 1, 1, 1, kind}));
        EXPECT_EQ(written_.size(), 1u) << "the SYN-ACK, option kind " << int(kind);
        while (LwipStack::pcb_count() > 0) tcp_abort(tcp_active_pcbs);
    }
}

TEST_F(LwipStackInputTest, APacketShorterThanAnIpv4HeaderNeverReachesLwip) {
    auto packet = ipv4_syn();
    packet.resize(19);
    stack_.input(packet);
    stack_.input(std::vector<std::uint8_t>{0x60});
    EXPECT_EQ(stack_.stats().input_refused, 2u);
    EXPECT_EQ(stack_.stats().packets_in, 0u);
    EXPECT_TRUE(written_.empty());
}

// lwIP answered a segment to :: with an RST from ::, and found no source address for it
// through a null pointer (UndefinedBehaviorSanitizer stops the Debug build there).
TEST_F(LwipStackInputTest, ATcpSegmentToTheUnspecifiedIpv6AddressNeverReachesLwip) {
    std::vector<std::uint8_t> packet(60, 0);
    packet[0] = 0x60;
    write_u16(&packet[4], 20);
    packet[6] = kProtocolTcp;
    packet[7] = 64;
    packet[8] = 0xfd;
    packet[23] = 2;  // from fd00::2 to ::
    std::uint8_t* tcp = packet.data() + 40;
    write_u16(tcp, 40000);
    write_u16(tcp + 2, 80);
    tcp[12] = 5 << 4;
    tcp[13] = kTcpAck;
    stack_.input(packet);
    EXPECT_EQ(stack_.stats().input_refused, 1u);
    EXPECT_TRUE(written_.empty());
    packet[39] = 5;  // to ::5, a real address: a stray segment, answered with an RST
    stack_.input(packet);
    EXPECT_EQ(written_.size(), 1u);
}

}  // namespace
}  // namespace shunt::netstack

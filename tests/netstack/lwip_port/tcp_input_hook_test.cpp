// shunt_tcp_inpacket, lwIP's TCP input hook, through LwipStack: a connection is opened
// with a real handshake (the ISN read from lwIP's SYN-ACK), then segments go in as an
// application would send them. lwIP 2.1.3 aborted the whole process on a segment half the
// sequence space away from rcv_nxt (LWIP_ASSERT "insane offset!" in tcp_receive; found by
// fuzz_tun_packets): the hook drops such segments, and only those.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "net/byte_order.hpp"
#include "netstack/lwip/lwip_stack.hpp"
#include "netstack/packet/checksum.hpp"

// lwIP last: its byte-order macros would rename the libc declarations included above.
extern "C" {
#include <lwip/priv/tcp_priv.h>
}

namespace shunt::netstack {
namespace {

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kAck = 0x10;

// A TCP segment 10.0.0.2:40000 -> 198.18.0.5:80 without options or payload.
std::vector<std::uint8_t> segment(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags) {
    std::vector<std::uint8_t> packet(40, 0);
    packet[0] = 0x45;
    write_u16(&packet[2], 40);
    packet[8] = 64;
    packet[9] = 6;
    const std::uint8_t addresses[8] = {10, 0, 0, 2, 198, 18, 0, 5};
    std::copy(addresses, addresses + 8, packet.begin() + 12);
    write_u16(&packet[10], internet_checksum(std::span(packet.data(), 20)));
    std::uint8_t* tcp = packet.data() + 20;
    write_u16(tcp, 40000);
    write_u16(tcp + 2, 80);
    write_u32(tcp + 4, seq);
    write_u32(tcp + 8, ack);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    write_u16(tcp + 14, 65535);
    return packet;
}

class TcpInputHookTest : public ::testing::Test {
  protected:
    TcpInputHookTest()
        : stack_(
              io_.get_executor(), 9000,
              [this](OutgoingPacket packet) {
                  std::vector<std::uint8_t> bytes;
                  for (const auto& part : packet.parts())
                      bytes.insert(bytes.end(), part.begin(), part.end());
                  written_.push_back(std::move(bytes));
              },
              [this](tcp_pcb* pcb) { accepted_ = pcb; }) {}

    // SYN, SYN-ACK, ACK: an established connection whose next expected byte is 1001.
    void open() {
        stack_.input(segment(1000, 0, kSyn));
        ASSERT_EQ(written_.size(), 1u);
        isn_ = read_u32(written_[0].data() + 24);
        stack_.input(segment(1001, isn_ + 1, kAck));
        ASSERT_NE(accepted_, nullptr);
        ASSERT_EQ(accepted_->state, ESTABLISHED);
    }

    boost::asio::io_context io_;
    std::vector<std::vector<std::uint8_t>> written_;  // before the stack: it writes when it goes
    tcp_pcb* accepted_ = nullptr;
    std::uint32_t isn_ = 0;
    LwipStack stack_;
};

TEST_F(TcpInputHookTest, ASegmentHalfTheSequenceSpaceAwayIsDroppedNotFatal) {
    open();
    for (const std::uint32_t distance : {0x80000000u, 0x7fffffffu, 0x40000000u, 0xc0000000u}) {
        stack_.input(segment(1001 + distance, isn_ + 1, kFin | kAck));
        EXPECT_EQ(accepted_->state, ESTABLISHED) << "distance " << distance;
    }
    EXPECT_EQ(accepted_->rcv_nxt, 1001u);
}

TEST_F(TcpInputHookTest, SegmentsWithinReachAreProcessedAsBefore) {
    open();
    // Just outside the window either way: lwIP answers with an ACK, as it always did.
    written_.clear();
    stack_.input(segment(1001 + 0x3fffffff, isn_ + 1, kFin | kAck));
    EXPECT_EQ(written_.size(), 1u) << "lwIP's ACK of an out-of-window segment";
    EXPECT_EQ(accepted_->state, ESTABLISHED);
    // The FIN in sequence is taken.
    stack_.input(segment(1001, isn_ + 1, kFin | kAck));
    EXPECT_EQ(accepted_->rcv_nxt, 1002u);
}

}  // namespace
}  // namespace shunt::netstack

// LwipStack: lwIP (NO_SYS=1) as the TCP endpoint of every connection routed into the TUN.
//
// Ownership contract at this boundary:
//  - lwIP is process-global C state: at most one LwipStack exists at a time, and every
//    call into lwIP happens on the one thread running this stack's executor.
//  - Packets in: input() copies one IP packet into a pbuf and hands it to lwIP.
//  - Packets out: lwIP's output callbacks hand the pbuf chain, uncopied and with one
//    reference taken, to the PacketWriter as an OutgoingPacket; dropping the packet frees
//    the reference (on this thread). The writer must not call back into lwIP. While the
//    writer holds a segment, lwIP does not retransmit it (its pbuf is "busy").
//  - Checksums: with `kernel_tcp_checksums` lwIP computes no TCP checksum; the writer must
//    then send every TCP packet as CHECKSUM_PARTIAL (the GSO coalescer does).
//  - New connections: the patched lwIP (netstack/lwip_port/accept-any-destination.patch)
//    lets one listener accept TCP to every address and port; each accepted pcb goes to
//    the AcceptHandler, which owns it from then on (and must set its own callbacks).
//  - Timers: lwIP's TCP timers (retransmission, delayed ACK, TIME_WAIT) run on an asio
//    timer, but only while some pcb exists: an idle shunt does not wake up 4 times a second.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/ip_address.hpp"
#include "netstack/packet/outgoing_packet.hpp"

struct tcp_pcb;
struct netif;
struct pbuf;

namespace shunt::netstack {

class LwipStack {
  public:
    using PacketWriter = std::function<void(OutgoingPacket)>;
    using AcceptHandler = std::function<void(tcp_pcb*)>;

    struct Stats {
        std::uint64_t packets_in = 0;
        std::uint64_t packets_out = 0;
        std::uint64_t input_dropped = 0;  // no memory for a pbuf
        std::uint64_t input_refused = 0;  // what lwIP would mishandle (see input())
        std::uint64_t accepted = 0;
    };

    // Throws std::logic_error if another LwipStack exists, std::runtime_error if lwIP
    // cannot create its listener.
    LwipStack(boost::asio::any_io_executor executor, int mtu, PacketWriter writer,
              AcceptHandler on_accept, bool kernel_tcp_checksums = false);
    ~LwipStack();
    LwipStack(const LwipStack&) = delete;
    LwipStack& operator=(const LwipStack&) = delete;

    // One IP packet (v4 or v6) from the TUN device, for lwIP's TCP. Packets lwIP cannot
    // hold or would mishandle (under 20 bytes, over 65,535, IPv6 to ::) are dropped and
    // counted.
    void input(std::span<const std::uint8_t> packet);

    // Pcbs lwIP still tracks (established, closing, TIME_WAIT), for tests and stats.
    static std::size_t pcb_count();
    // Connections in the handshake (SYN received, not yet accepted).
    std::size_t half_open() const;
    // lwIP already has a pcb for this segment's connection (a retransmitted SYN of a
    // handshake in progress must reach it, not be refused).
    static bool has_connection(const IpAddress& source, std::uint16_t source_port,
                               const IpAddress& destination, std::uint16_t destination_port);
    const Stats& stats() const { return stats_; }

  private:
    struct Glue;  // lwIP's C callbacks (lwip_stack.cpp)
    friend struct Glue;

    void write_out(pbuf* p);
    void arm_timers();
    void on_timer();

    boost::asio::any_io_executor executor_;
    PacketWriter writer_;
    AcceptHandler accept_handler_;
    boost::asio::steady_timer timer_;
    bool timer_armed_ = false;
    std::shared_ptr<char> alive_ = std::make_shared<char>();  // expires with this stack
    std::vector<std::uint8_t> out_buffer_;
    netif* netif_ = nullptr;
    tcp_pcb* listener_ = nullptr;
    Stats stats_;
};

}  // namespace shunt::netstack

// UdpOutbound over one unconnected, routing-marked UDP socket (outbound/direct): full cone,
// it sends to the flow's remote and hears from any address.
//
// Receiving costs no buffer per session: the outbound waits for readability and then reads
// into a receive buffer shared by all outbounds of one DirectUdpOutboundFactory (the loop
// is single-threaded, and the handler consumes each datagram before the next read). Sends
// are non-blocking: a full socket buffer drops the datagram (UdpSendResult::would_block).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>

#include "netstack/udp/udp_outbound.hpp"
#include "outbound/direct/direct_udp_socket.hpp"

namespace shunt::netstack {

class DirectUdpOutbound final : public UdpOutbound {
  public:
    // `socket` is open (see outbound::open_direct_udp_socket). `receive_buffer` is shared
    // and must outlive this object.
    DirectUdpOutbound(boost::asio::ip::udp::socket socket,
                      std::shared_ptr<std::vector<std::uint8_t>> receive_buffer);
    ~DirectUdpOutbound() override;

    void start(ReceiveHandler on_receive, ErrorHandler on_error) override;
    UdpSendResult send(std::span<const std::uint8_t> payload, const Endpoint& destination) override;
    void close() override;

    // The port the socket is bound to (tests, logs).
    std::uint16_t local_port() const;

  private:
    void wait_readable();
    void drain();

    boost::asio::ip::udp::socket socket_;
    std::shared_ptr<std::vector<std::uint8_t>> receive_buffer_;
    ReceiveHandler on_receive_;
    ErrorHandler on_error_;
    // Handlers hold a weak_ptr to this: a completion queued before close() sees it expired
    // instead of touching a destroyed object.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

struct DirectUdpOptions {
    std::uint32_t routing_mark = 0;  // SO_MARK; 0 leaves the socket unmarked
    // For IPv4 remotes; IPv6 remotes always get a dual-stack socket. Replies from an address of
    // the other family could not be written back to the application anyway.
    outbound::UdpStack stack = outbound::UdpStack::v4_only;
};

// Opens a DirectUdpOutbound per call, sending to the flow's destination as it is (callers
// with fake IPs wrap it to substitute the real address in UdpSessionPlan::remote).
// Returns a plan with a null outbound, and logs, when the socket cannot be opened.
class DirectUdpOutboundFactory {
  public:
    DirectUdpOutboundFactory(boost::asio::any_io_executor executor, DirectUdpOptions options);

    // An outbound for `flow` sending to `remote`.
    UdpSessionPlan open(const UdpFlow& flow, const Endpoint& remote) const;
    UdpSessionPlan operator()(const UdpFlow& flow) const { return open(flow, flow.destination); }

  private:
    boost::asio::any_io_executor executor_;
    DirectUdpOptions options_;
    std::shared_ptr<std::vector<std::uint8_t>> receive_buffer_;
};

}  // namespace shunt::netstack

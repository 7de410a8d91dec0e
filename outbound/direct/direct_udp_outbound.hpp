// UdpOutbound over one unconnected, routing-marked UDP socket: full cone,
// it sends to the flow's remote and hears from any address.
//
// Receiving costs no buffer per session: the outbound waits for readability and then reads
// into a receive buffer shared by all outbounds of one DirectOutbound (the loop
// is single-threaded, and the handler consumes each datagram before the next read). Sends
// are non-blocking: a full socket buffer drops the datagram (UdpSendResult::would_block).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>

#include "outbound/direct/direct_udp_socket.hpp"
#include "outbound/udp_outbound.hpp"

namespace shunt::outbound {

class DirectUdpOutbound final : public UdpOutbound {
  public:
    // `socket` is open (see open_direct_udp_socket). `receive_buffer` is shared
    // and must outlive this object.
    // Datagrams to `as_seen` go to `remote`, and replies from `remote` are reported as from
    // `as_seen` (the fake IP the application sent to); everything else passes unchanged.
    DirectUdpOutbound(boost::asio::ip::udp::socket socket,
                      std::shared_ptr<std::vector<std::uint8_t>> receive_buffer,
                      const Endpoint& as_seen, const Endpoint& remote);
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
    Endpoint as_seen_;
    Endpoint remote_;
    ReceiveHandler on_receive_;
    ErrorHandler on_error_;
    // Handlers hold a weak_ptr to this: a completion queued before close() sees it expired
    // instead of touching a destroyed object.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shunt::outbound

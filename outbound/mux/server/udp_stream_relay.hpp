// UdpStreamRelay: the server's end of a UDP stream (docs/mux.md, "UDP"). One unconnected
// UDP socket per stream: each DATAGRAM frame is sent to its address (names resolved once
// per stream and remembered), each datagram the socket receives goes back as a DATAGRAM
// frame with its source, so full-cone replies keep their own address. The relay ends with
// the stream, or after `idle_timeout` without a datagram either way (then FIN).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "outbound/mux/server/target_policy.hpp"
#include "outbound/mux/session/mux_stream.hpp"
#include "outbound/outbound.hpp"

namespace shunt::outbound::mux {

class UdpStreamRelay : public std::enable_shared_from_this<UdpStreamRelay> {
  public:
    static void start(boost::asio::any_io_executor executor, std::unique_ptr<MuxStream> stream,
                      AddressLookup lookup, std::chrono::seconds idle_timeout,
                      std::shared_ptr<const TargetPolicy> policy);

  private:
    UdpStreamRelay(boost::asio::any_io_executor executor, std::unique_ptr<MuxStream> stream,
                   AddressLookup lookup, std::chrono::seconds idle_timeout,
                   std::shared_ptr<const TargetPolicy> policy);
    void begin();
    void on_datagram(const DatagramPayload& datagram);
    void send(const IpAddress& address, std::uint16_t port, std::span<const std::uint8_t> data);
    void wait_readable();
    void drain();
    void arm_idle();
    void end(bool graceful);

    boost::asio::any_io_executor executor_;
    std::unique_ptr<MuxStream> stream_;
    AddressLookup lookup_;
    std::chrono::seconds idle_timeout_;
    std::shared_ptr<const TargetPolicy> policy_;
    bool denied_logged_ = false;  // one line per stream, not one per datagram
    boost::asio::ip::udp::socket socket_;
    boost::asio::steady_timer idle_;
    std::chrono::steady_clock::time_point last_activity_;
    std::map<std::string, IpAddress> resolved_;  // names this stream sent to
    struct Waiting {
        std::uint16_t port;
        std::vector<std::uint8_t> data;
    };
    std::map<std::string, std::vector<Waiting>> resolving_;  // datagrams waiting for a name
    std::vector<std::uint8_t> buffer_;
    bool ended_ = false;
};

}  // namespace shunt::outbound::mux

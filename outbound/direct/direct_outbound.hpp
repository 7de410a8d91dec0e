// DirectOutbound: the built-in DIRECT. TCP goes through the happy-eyeballs dialer to the
// flow's real address (or the addresses its name resolves to through dns/); UDP through
// one marked, unconnected socket per flow. Every socket carries the routing mark so that,
// with auto_route, it leaves by the main table instead of looping into the TUN.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "net/connect_timeout.hpp"
#include "outbound/direct/direct_udp_socket.hpp"
#include "outbound/outbound.hpp"

namespace shunt::outbound {

struct DirectOptions {
    std::uint32_t routing_mark = 0;  // SO_MARK; 0 leaves sockets unmarked
    std::chrono::milliseconds connect_timeout{kDefaultConnectTimeout};
    // For IPv4 remotes; IPv6 remotes always get a dual-stack socket. Replies from an address
    // of the other family could not be written back to the application anyway.
    UdpStack udp_stack = UdpStack::v4_only;
};

class DirectOutbound final : public Outbound {
  public:
    DirectOutbound(boost::asio::any_io_executor executor, DirectOptions options,
                   AddressLookup lookup);

    const std::string& name() const override { return name_; }
    OutboundType type() const override { return OutboundType::direct; }
    void connect(const Target& target, ConnectHandler handler) override;
    std::unique_ptr<UdpOutbound> open_udp(const Target& target, const Endpoint& as_seen,
                                          std::string& refusal) override;

  private:
    void dial(std::vector<IpAddress> candidates, const Target& target, ConnectHandler handler);
    std::unique_ptr<UdpOutbound> open_socket(const Endpoint& as_seen, const Endpoint& remote,
                                             std::string& refusal);

    boost::asio::any_io_executor executor_;
    DirectOptions options_;
    AddressLookup lookup_;
    std::string name_ = "DIRECT";
    // Shared by all of this outbound's UDP sockets (see DirectUdpOutbound).
    std::shared_ptr<std::vector<std::uint8_t>> receive_buffer_;
};

}  // namespace shunt::outbound

// A SOCKS5 proxy as an outbound: TCP flows become CONNECT requests (by domain name when the
// flow has one, so the proxy resolves it and a fake IP never leaves the machine), UDP flows
// become one UDP ASSOCIATE each when `udp = true`.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "outbound/outbound.hpp"
#include "outbound/socks5/socks5_address.hpp"
#include "outbound/socks5/socks5_options.hpp"

namespace shunt::outbound {

// The SOCKS5 address a flow's target is requested by: its domain when it has one, else its
// address. nullopt when it has neither.
std::optional<HostPort> socks5_target_address(const Target& target);

class Socks5Outbound final : public Outbound {
  public:
    // `lookup` resolves options.server when it is a host name (unused for an IP literal).
    Socks5Outbound(boost::asio::any_io_executor executor, Socks5Options options,
                   AddressLookup lookup);

    const std::string& name() const override { return options_->name; }
    OutboundType type() const override { return OutboundType::socks5; }
    const Socks5Options& options() const { return *options_; }

    // Reasons read "socks5 NAME: connect TARGET: WHY", WHY as from Socks5ProxyDial.
    void connect(const Target& target, ConnectHandler handler) override;
    // A Socks5UdpOutbound, or nullptr with "socks5 NAME: udp = false".
    std::unique_ptr<UdpOutbound> open_udp(const Target& target, const Endpoint& as_seen,
                                          std::string& refusal) override;

  private:
    boost::asio::any_io_executor executor_;
    // Shared with connects and associations in flight: they may outlive a reload.
    std::shared_ptr<const Socks5Options> options_;
    AddressLookup lookup_;
};

}  // namespace shunt::outbound

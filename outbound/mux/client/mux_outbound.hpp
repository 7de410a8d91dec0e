// MuxOutbound: a [[proxies]] entry with type = "mux" — every TCP flow a stream on one of
// the pool's carriers, every UDP flow a UDP stream (docs/mux.md). The target goes to the
// server by name when the flow has one: the fake IP never leaves the machine.
#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "outbound/mux/client/carrier_pool.hpp"
#include "outbound/outbound.hpp"

namespace shunt::outbound::mux {

class MuxOutbound final : public Outbound {
  public:
    // Throws std::runtime_error when the TLS setup fails (an unreadable CA file).
    MuxOutbound(boost::asio::any_io_executor executor, MuxClientOptions options,
                AddressLookup lookup);
    ~MuxOutbound() override;

    const std::string& name() const override { return name_; }
    OutboundType type() const override { return OutboundType::mux; }
    void connect(const Target& target, ConnectHandler handler) override;
    std::unique_ptr<UdpOutbound> open_udp(const Target& target, const Endpoint& as_seen,
                                          std::string& refusal) override;

    CarrierPool& pool() { return *pool_; }

  private:
    boost::asio::any_io_executor executor_;
    std::string name_;
    bool udp_;
    std::shared_ptr<CarrierPool> pool_;
};

// The address the server is asked to reach: the domain when there is one.
HostPort wire_address(const Target& target);

}  // namespace shunt::outbound::mux

// RejectOutbound: the built-in REJECT. A TCP flow sent here is reset at once; a UDP flow's
// datagrams are dropped. A group may pick it too (a select group switched to REJECT).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "outbound/outbound.hpp"

namespace shunt::outbound {

class RejectOutbound final : public Outbound {
  public:
    explicit RejectOutbound(boost::asio::any_io_executor executor)
        : executor_(std::move(executor)) {}

    const std::string& name() const override { return name_; }
    OutboundType type() const override { return OutboundType::reject; }
    void connect(const Target& target, ConnectHandler handler) override;
    std::unique_ptr<UdpOutbound> open_udp(const Target& target, const Endpoint& as_seen,
                                          std::string& refusal) override;

  private:
    boost::asio::any_io_executor executor_;
    std::string name_ = "REJECT";
};

}  // namespace shunt::outbound

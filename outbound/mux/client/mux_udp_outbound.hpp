// MuxUdpOutbound: one UDP flow as one UDP stream (docs/mux.md, "UDP"). The stream opens
// when the flow starts; datagrams sent before it is there wait in a small bounded queue.
// Datagrams to `as_seen` go to the target (by name when it has one); replies from the
// target come back as from `as_seen`, replies from elsewhere keep their source (full cone).
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "outbound/mux/client/carrier_pool.hpp"
#include "outbound/outbound.hpp"
#include "outbound/pending_datagrams.hpp"

namespace shunt::outbound::mux {

class MuxUdpOutbound final : public UdpOutbound {
  public:
    MuxUdpOutbound(std::shared_ptr<CarrierPool> pool, const Target& target,
                   const Endpoint& as_seen);
    ~MuxUdpOutbound() override;

    void start(ReceiveHandler on_receive, ErrorHandler on_error) override;
    UdpSendResult send(std::span<const std::uint8_t> payload, const Endpoint& destination) override;
    void close() override;

  private:
    void on_open(const boost::system::error_code& ec, std::unique_ptr<MuxStream> stream,
                 const std::string& reason);
    void on_datagram(const DatagramPayload& datagram);
    HostPort destination_for(const Endpoint& destination) const;

    std::shared_ptr<CarrierPool> pool_;
    Target target_;
    Endpoint as_seen_;
    ReceiveHandler on_receive_;
    ErrorHandler on_error_;
    std::unique_ptr<MuxStream> stream_;
    PendingDatagrams pending_;
    bool closed_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shunt::outbound::mux

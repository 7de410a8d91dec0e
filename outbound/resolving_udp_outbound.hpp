// ResolvingUdpOutbound: a UDP flow whose outbound can only be chosen once a name is
// resolved: direct to a fake IP (the real server is known only by name), or any flow whose
// rule decision waits for an IP rule. It resolves the name once (dns/: hosts, cache,
// upstreams), then asks `connect` for the real outbound, which speaks in the flow's own
// terms (datagrams to the app's destination, replies from it: see Outbound::open_udp).
// Datagrams sent before the answer wait in a small bounded queue (the first packets of QUIC
// or DNS must not be lost to the lookup); beyond it they are dropped as would_block.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/system/error_code.hpp>

#include "outbound/outbound.hpp"
#include "outbound/pending_datagrams.hpp"

namespace shunt::outbound {

class ResolvingUdpOutbound final : public UdpOutbound {
  public:
    // Given the resolved address (or nullopt when the name did not resolve), decides:
    // an outbound to use, or null to refuse (REJECT, no address), with the reason.
    using Connect = std::function<std::unique_ptr<UdpOutbound>(
        const std::optional<IpAddress>& resolved, std::string& refusal)>;

    ResolvingUdpOutbound(std::string domain, AddressLookup lookup, Connect connect);
    ~ResolvingUdpOutbound() override;

    void start(ReceiveHandler on_receive, ErrorHandler on_error) override;
    UdpSendResult send(std::span<const std::uint8_t> payload, const Endpoint& destination) override;
    void close() override;

  private:
    void on_resolved(const boost::system::error_code& ec, std::vector<IpAddress> addresses);

    std::string domain_;
    AddressLookup lookup_;
    Connect connect_;
    ReceiveHandler on_receive_;
    ErrorHandler on_error_;
    std::unique_ptr<UdpOutbound> inner_;
    PendingDatagrams pending_;
    bool closed_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shunt::outbound

// The outbound of a UDP flow to a fake IP: the real server is known only by name. It
// resolves the name once through dns/ (real upstreams, cached), lets the rule engine
// finish its decision if an IP rule was waiting for the address, then sends through a
// direct outbound to the real address. Datagrams sent before the answer wait in a small
// bounded queue (the first packets of QUIC or DNS must not be lost to the lookup); beyond
// it they are dropped as would_block. Replies from the real server are reported as coming
// from the fake address, so the session table hands them to the app with the source it
// sent to; replies from elsewhere keep their own address (full cone).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/system/error_code.hpp>

#include "netstack/udp/udp_outbound.hpp"

namespace shunt::netstack {

class ResolvingUdpOutbound final : public UdpOutbound {
  public:
    using AddressCallback =
        std::function<void(boost::system::error_code, std::vector<IpAddress> addresses)>;
    using Lookup = std::function<void(const std::string& name, AddressCallback)>;
    // Given the resolved address (or nullopt when the name did not resolve), decides:
    // an outbound to use, or null to refuse (REJECT, no address), with the reason.
    using Connect = std::function<std::unique_ptr<UdpOutbound>(
        const std::optional<IpAddress>& resolved, std::string& refusal)>;

    static constexpr std::size_t kMaxPending = 16;

    ResolvingUdpOutbound(std::string domain, Endpoint fake_destination, Lookup lookup,
                         Connect connect);
    ~ResolvingUdpOutbound() override;

    void start(ReceiveHandler on_receive, ErrorHandler on_error) override;
    UdpSendResult send(std::span<const std::uint8_t> payload, const Endpoint& destination) override;
    void close() override;

  private:
    void on_resolved(const boost::system::error_code& ec, std::vector<IpAddress> addresses);

    std::string domain_;
    Endpoint fake_;
    Endpoint real_;
    Lookup lookup_;
    Connect connect_;
    ReceiveHandler on_receive_;
    ErrorHandler on_error_;
    std::unique_ptr<UdpOutbound> inner_;
    std::deque<std::vector<std::uint8_t>> pending_;
    bool closed_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shunt::netstack

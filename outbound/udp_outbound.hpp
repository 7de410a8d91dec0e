// The pluggable far side of a UDP session: where the application's datagrams go and where
// replies come from. The session table (netstack/udp) owns one UdpOutbound per flow and
// knows nothing about how it reaches the remote (direct socket, SOCKS5 UDP ASSOCIATE, mux
// stream).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "net/ip_address.hpp"

namespace shunt::outbound {

enum class UdpSendResult : std::uint8_t {
    sent,
    would_block,  // the socket's buffer is full: the datagram was dropped, not queued
    failed,       // this datagram failed (unreachable, too large); the session lives on
};

class UdpOutbound {
  public:
    // `from` is the remote that sent the datagram, in the terms send() was given: an
    // outbound that resolves or relays (a fake IP dialed by name, a proxy) reports the
    // endpoint it was asked to send to when the reply comes from where that went.
    using ReceiveHandler =
        std::function<void(std::span<const std::uint8_t> payload, const Endpoint& from)>;
    // The outbound cannot go on (socket error, proxy gone); the session closes.
    using ErrorHandler = std::function<void(std::string_view reason)>;

    virtual ~UdpOutbound() = default;

    // Begins delivering replies. Called once, right after the factory made the outbound.
    virtual void start(ReceiveHandler on_receive, ErrorHandler on_error) = 0;
    // Sends one datagram without blocking and without queueing beyond the socket buffer.
    virtual UdpSendResult send(std::span<const std::uint8_t> payload,
                               const Endpoint& destination) = 0;
    // Idempotent. No handler runs after it returns. Safe to call from inside a handler;
    // the object itself is destroyed later, outside any of its handlers.
    virtual void close() = 0;
};

}  // namespace shunt::outbound

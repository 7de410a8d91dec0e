// The pluggable far side of a UDP session: where the application's datagrams go and where
// replies come from. The session table owns one UdpOutbound per flow and knows nothing
// about how it reaches the remote (direct socket, SOCKS5 UDP ASSOCIATE, mux stream).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "core/ip_address.hpp"

namespace shunt::netstack {

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

// What the session table knows about a new flow when it asks for an outbound.
struct UdpFlow {
    Endpoint source;       // the application's address and port
    Endpoint destination;  // what the application sent to (a fake IP for DNS-named flows)
};

// The factory's answer for a flow.
struct UdpSessionPlan {
    // nullptr refuses the flow (rule REJECT, unknown fake IP, socket failure): the datagram
    // is dropped and counted, and the next datagram of the flow asks again.
    std::unique_ptr<UdpOutbound> outbound;
    // Where the session sends the application's datagrams. For a fake-IP destination, the
    // real server (or what the outbound resolves, see ReceiveHandler); replies from it
    // reach the application with `destination` (the fake IP) as their source, so the
    // application sees the address it sent to. Replies from anywhere else keep their own
    // source (full cone).
    Endpoint remote;
};

// Called on the table's executor, once per new flow. The factory finds the domain (fake-IP
// reverse map), asks the rules and picks the outbound; it may not call back into the table.
using UdpOutboundFactory = std::function<UdpSessionPlan(const UdpFlow& flow)>;

}  // namespace shunt::netstack

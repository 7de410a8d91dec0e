// What the session table asks of the outbound layer for a new UDP flow; the outbound itself
// is outbound::UdpOutbound (outbound/udp_outbound.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "net/ip_address.hpp"
#include "outbound/udp_outbound.hpp"

namespace shunt::flow {
class LiveFlow;
}

namespace shunt::netstack {

using outbound::UdpOutbound;
using outbound::UdpSendResult;

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
    // The flow as the registry lists it while the session lives (may be null).
    std::shared_ptr<flow::LiveFlow> live;
};

// Called on the table's executor, once per new flow. The factory finds the domain (fake-IP
// reverse map), asks the rules and picks the outbound; it may not call back into the table.
using UdpOutboundFactory = std::function<UdpSessionPlan(const UdpFlow& flow)>;

}  // namespace shunt::netstack

// open_target: what the mux server does with an OPEN (docs/mux.md, "Opening"). TCP: resolve
// the name if it is one, connect (happy eyeballs, connect_timeout), answer OPEN_RESULT and
// relay the stream to the socket; or answer the failure's code (refused, unreachable, timed
// out, name not resolved). Addresses the policy denies are never connected: an address
// target, or a name whose every address is denied, gets "not allowed". UDP: a
// UdpStreamRelay (it drops datagrams to denied addresses).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "net/connect_timeout.hpp"
#include "net/happy_eyeballs_dialer.hpp"
#include "outbound/mux/protocol/frame.hpp"
#include "outbound/mux/server/target_policy.hpp"
#include "outbound/mux/session/mux_stream.hpp"
#include "outbound/outbound.hpp"

namespace shunt::outbound::mux {

// Connects a TCP target on the addresses the policy allowed, with HappyEyeballsDialer's
// contract (the handler runs once, on the executor, never inline). Empty: a
// HappyEyeballsDialer with connect_timeout. A seam for tests: the fuzzer (fuzz_mux_server)
// hands the server in-memory targets, so OPENs it makes up never reach a real network.
using TargetDialer = std::function<void(std::vector<IpAddress> addresses, std::uint16_t port,
                                        HappyEyeballsDialer::Handler done)>;

struct TargetOptions {
    std::chrono::milliseconds connect_timeout{kDefaultConnectTimeout};
    std::chrono::seconds udp_idle_timeout{120};
    std::shared_ptr<const TargetPolicy> policy;  // never null
    TargetDialer dial;                           // empty: happy eyeballs
};

void open_target(boost::asio::any_io_executor executor, std::unique_ptr<MuxStream> stream,
                 const OpenPayload& open, const AddressLookup& lookup, TargetOptions options);

// The OPEN_RESULT code for a failed connect or lookup.
ResultCode result_code_for(const boost::system::error_code& ec);

}  // namespace shunt::outbound::mux

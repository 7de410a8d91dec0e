// build_outbounds: the OutboundSet a configuration describes — DIRECT and REJECT, every
// [[proxies]] entry, every [[groups]] entry (members before the groups that use them), and
// GLOBAL. The config loader has already checked names, members and cycles.
//
// On a reload, the outbounds the new file leaves unchanged are taken over from the running
// set instead of rebuilt: a mux proxy keeps its carriers (no reconnect, no new handshakes),
// a url-test group its measurements, a select group its choice. A proxy is unchanged when
// its settings (and a CA file's contents) and the [tun] settings outbounds use are; a group
// when its settings are and every member is the very object it had.
#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "config/config.hpp"
#include "outbound/outbound.hpp"
#include "outbound/outbound_set.hpp"

namespace shunt::outbound {

namespace mux {
class CarrierThreads;
}

// The running configuration and the set built from it.
struct RunningOutbounds {
    const Config& config;
    const OutboundSet& set;
};

struct BuiltOutbounds {
    std::shared_ptr<OutboundSet> set;
    std::size_t kept = 0;     // proxies and groups taken over from the running set
    std::size_t rebuilt = 0;  // ... and made anew
};

// `lookup` resolves names for DIRECT and for proxies given by host name (dns/).
// `carrier_threads` (may be null: all on `executor`) is where mux carriers run; it must
// outlive the set and every stream made from it.
BuiltOutbounds build_outbounds(const Config& config, boost::asio::any_io_executor executor,
                               AddressLookup lookup, const RunningOutbounds* running = nullptr,
                               mux::CarrierThreads* carrier_threads = nullptr);

}  // namespace shunt::outbound

// build_outbounds: the OutboundSet a configuration describes — DIRECT and REJECT, every
// [[proxies]] entry, every [[groups]] entry (members before the groups that use them), and
// GLOBAL. The config loader has already checked names, members and cycles.
#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "core/config.hpp"
#include "outbound/outbound.hpp"
#include "outbound/outbound_set.hpp"

namespace shunt::outbound {

// `lookup` resolves names for DIRECT and for proxies given by host name (dns/).
std::shared_ptr<OutboundSet> build_outbounds(const Config& config,
                                             boost::asio::any_io_executor executor,
                                             AddressLookup lookup);

}  // namespace shunt::outbound

// GET /connections (a snapshot, or over a WebSocket one at once and then every `interval`
// ms), DELETE /connections, DELETE /connections/{id} (docs/api.md §2.6):
// the live-flow registry as mihomo's dashboards read it — ids and ports as strings, the
// domain as `host`, a fake destination shown as "" (the fake IP means nothing outside),
// chains leaf first, mihomo's rule names — and closing flows for real through their
// sessions. The handlers run on the loop the registry lives on.
#pragma once

#include <functional>

#include <boost/asio/any_io_executor.hpp>
#include <string>

#include "api/api_router.hpp"
#include "flow/flow_registry.hpp"

namespace shunt::api {

struct ConnectionsSource {
    flow::FlowRegistry& registry;
    // Whether an address is one of the fake-IP pool's (its flows show destinationIP "").
    std::function<bool(const IpAddress&)> is_fake;
    std::string dns_mode;  // "fake-ip" or "redir-host", as mihomo names them
    // Where WebSocket subscribers' tickers run; without one, upgrades get the snapshot.
    boost::asio::any_io_executor executor = {};
};

void add_connection_endpoints(ApiRouter& router, ConnectionsSource source);

// The snapshot's JSON (also what the WebSocket stream sends).
std::string connections_json(const ConnectionsSource& source);

// RFC 3339 in UTC with milliseconds: "2025-09-25T02:12:36.432Z".
std::string rfc3339_utc(std::chrono::system_clock::time_point time);

}  // namespace shunt::api

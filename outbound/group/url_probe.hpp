// probe_url: one health probe through an outbound, as url-test and fallback groups run
// them — connect through the member to the URL's host, send a GET (inside TLS for an
// https URL), and time the first bytes of an HTTP status line. Any answer that starts like HTTP
// counts (a 204, a 404: the path through the proxy works); no answer within the timeout, a reset,
// or garbage is a failure.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "outbound/outbound.hpp"

namespace shunt::outbound {

struct ProbeTarget {
    std::string host;  // a name or an address
    std::uint16_t port = 80;
    std::string path = "/";
    // https: the GET goes inside TLS, the certificate checked against the system's trust
    // store and `host`; the delay then includes the handshake (as mihomo's does).
    bool tls = false;
};

struct ProbeResult {
    bool ok = false;                  // an HTTP status line came back
    std::chrono::milliseconds delay;  // from the start until the status line (or the end)
    int status = 0;                   // the status code, when ok
    bool timed_out = false;
    std::string error;  // why not ok
};
using ProbeHandler = std::function<void(const ProbeResult& result)>;

// The handler runs exactly once, never inline, within `timeout`.
void probe_url(boost::asio::any_io_executor executor, Outbound& via, const ProbeTarget& target,
               std::chrono::milliseconds timeout, ProbeHandler handler);

}  // namespace shunt::outbound

// One DNS upstream server, behind one interface for every transport (udp, tcp, tls,
// https). All calls happen on the io_context the upstream was made with.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include "config/upstream_spec.hpp"

namespace shunt::dns {

struct UpstreamOptions {
    std::chrono::milliseconds timeout{3000};  // whole exchange, connect included
    std::string ca_file;                      // empty: the system trust store
    // Plain udp/tcp upstreams that resolve tls:// and https:// host names given
    // without an address. Empty when every upstream has an address.
    std::vector<UpstreamSpec> bootstrap;
    // SO_MARK on every upstream socket (0: none), so queries bypass shunt's TUN.
    std::uint32_t routing_mark = 0;
};

class Upstream {
  public:
    // `response` is the upstream's wire answer, already checked to answer `query`
    // (same id and question). On failure `ec` is set and `response` is empty; the
    // callback is always called exactly once, at the latest when the timeout expires,
    // and always from the io_context, never from inside query() or close().
    // Errors: see upstream_error.hpp, plus boost::asio::error (connection_refused, ...).
    using Callback =
        std::function<void(boost::system::error_code ec, std::vector<std::uint8_t> response)>;

    virtual ~Upstream() = default;
    virtual void query(std::span<const std::uint8_t> wire_query, Callback callback) = 0;
    // Cancels everything in flight (callbacks get operation_aborted) and refuses
    // new queries; used at shutdown and when a reload replaces the upstream.
    virtual void close() = 0;
    virtual const UpstreamSpec& spec() const = 0;
};

// Throws std::runtime_error when the TLS trust anchors cannot be loaded (ca_file)
// and std::invalid_argument when a bootstrap spec is not a udp:// or tcp:// address.
// Destroying the last reference while queries are in flight is allowed: pending
// queries keep the upstream alive until their callbacks have run.
std::shared_ptr<Upstream> make_upstream(boost::asio::any_io_executor executor,
                                        const UpstreamSpec& spec, const UpstreamOptions& options);

}  // namespace shunt::dns

// Connects a socket the caller owns to the first of several endpoints that answers, with
// the routing mark on every attempt (an unmarked upstream connection would loop back into
// shunt's own TUN device when `[tun] auto_route = true`). The attempts are the
// HappyEyeballsDialer's (IPv6 first, staggered); this only hands its socket over to the
// caller's, which is what the DNS transports hold (a plain socket, the lower layer of a
// TLS stream).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "net/connect_timeout.hpp"
#include "net/happy_eyeballs_dialer.hpp"

namespace shunt {

using MarkedConnectHandler = std::function<void(boost::system::error_code)>;

// `socket` must outlive the operation (callers hold it through shared_from_this). mark 0
// connects unmarked. An empty list fails with host_not_found. The endpoints share one port
// (the first one's). Cancel the returned dialer to abort: the handler then gets
// operation_aborted.
std::shared_ptr<HappyEyeballsDialer> async_connect_marked(
    boost::asio::ip::tcp::socket& socket, std::vector<boost::asio::ip::tcp::endpoint> endpoints,
    std::uint32_t mark, MarkedConnectHandler handler,
    std::chrono::milliseconds deadline = kDefaultConnectTimeout);

}  // namespace shunt

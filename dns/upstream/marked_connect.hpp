// Connects a TCP socket to the first endpoint that answers, like asio's range
// async_connect, but with the routing mark set on every socket before its connect:
// asio's range connect re-opens the socket per endpoint, which would lose the mark, and
// an unmarked upstream connection would loop back into shunt's own TUN device when
// `[tun] auto_route = true`.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace shunt::dns {

using MarkedConnectHandler = std::function<void(boost::system::error_code)>;

// `socket` must outlive the operation (callers hold it through shared_from_this).
// mark 0 connects unmarked. An empty list fails with host_not_found.
void async_connect_marked(boost::asio::ip::tcp::socket& socket,
                          std::vector<boost::asio::ip::tcp::endpoint> endpoints, std::uint32_t mark,
                          MarkedConnectHandler handler);

}  // namespace shunt::dns

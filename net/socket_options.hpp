// Socket options shunt's own sockets need: the routing mark (so that with `auto_route =
// true` outbound connections and DNS upstream queries leave by the main table instead of
// looping back into the TUN) and TCP_NODELAY (a relay forwards what it got at once; Nagle
// would only add latency on top of the application's own writes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/system/error_code.hpp>

namespace shunt {

// The outcome of one socket setup step. `step` names the step that failed ("SO_MARK",
// "TCP_NODELAY", "open", "bind"), so a log line says which one without guessing from errno.
struct SocketOptionStatus {
    boost::system::error_code error;
    std::string_view step;  // static text; empty on success

    bool ok() const { return !error; }
    // "SO_MARK: Operation not permitted"; "ok" on success.
    std::string describe() const;

    static SocketOptionStatus success() { return {}; }
    static SocketOptionStatus failure(std::string_view step, boost::system::error_code error) {
        return {error, step};
    }
};

// SO_MARK on an open socket. A mark of 0 means "no mark" and touches nothing. Setting a mark
// needs CAP_NET_ADMIN; failing is an error (an unmarked socket could loop through the TUN).
SocketOptionStatus apply_routing_mark(int native_fd, std::uint32_t mark);
SocketOptionStatus apply_routing_mark(boost::asio::ip::tcp::socket& socket, std::uint32_t mark);
SocketOptionStatus apply_routing_mark(boost::asio::ip::udp::socket& socket, std::uint32_t mark);

// The socket's current SO_MARK (0 when unmarked); nullopt if it cannot be read.
std::optional<std::uint32_t> read_routing_mark(int native_fd);

// TCP_NODELAY on an open TCP socket.
SocketOptionStatus apply_tcp_nodelay(boost::asio::ip::tcp::socket& socket);

}  // namespace shunt

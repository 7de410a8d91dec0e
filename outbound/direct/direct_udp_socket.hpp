// The socket a direct UDP session sends from: unconnected (full-cone: one socket talks to
// any remote and hears replies from any remote), bound to an ephemeral port, routing-marked
// so its datagrams bypass the TUN.
#pragma once

#include <cstdint>

#include <boost/asio/ip/udp.hpp>

#include "net/ip_address.hpp"
#include "net/socket_options.hpp"

namespace shunt::outbound {

enum class UdpStack : std::uint8_t {
    v4_only,
    // An IPv6 socket with IPV6_V6ONLY off: one session can reach v4 and v6 remotes (a game
    // or a STUN client talks to both). Falls back to v4_only on a host without IPv6.
    dual_stack,
};

// Opens `socket` (which must be closed), marks it and binds it to the wildcard address on
// an ephemeral port. On failure the socket is closed and `step` names what failed ("open",
// "SO_MARK", "IPV6_V6ONLY", "bind").
SocketOptionStatus open_direct_udp_socket(boost::asio::ip::udp::socket& socket, UdpStack stack,
                                          std::uint32_t routing_mark);

// The destination to pass to send_to on `socket`: IPv4 remotes become v4-mapped IPv6
// (::ffff:a.b.c.d) on a dual-stack socket.
boost::asio::ip::udp::endpoint udp_destination(const boost::asio::ip::udp::socket& socket,
                                               const Endpoint& remote);

// The remote a datagram came from, in shunt's terms: v4-mapped IPv6 is unmapped to IPv4 so
// that replies are matched against the address the application used.
Endpoint udp_source(const boost::asio::ip::udp::endpoint& sender);

}  // namespace shunt::outbound

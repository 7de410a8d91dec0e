#include "outbound/direct/direct_udp_socket.hpp"

#include <boost/asio/ip/v6_only.hpp>

#include "net/asio_address.hpp"

namespace shunt::outbound {

namespace {

SocketOptionStatus close_with(boost::asio::ip::udp::socket& socket, std::string_view step,
                              boost::system::error_code error) {
    boost::system::error_code ignored;
    socket.close(ignored);
    return SocketOptionStatus::failure(step, error);
}

SocketOptionStatus open_v4(boost::asio::ip::udp::socket& socket, std::uint32_t routing_mark) {
    boost::system::error_code error;
    socket.open(boost::asio::ip::udp::v4(), error);
    if (error) return SocketOptionStatus::failure("open", error);
    if (auto marked = apply_routing_mark(socket, routing_mark); !marked.ok()) {
        return close_with(socket, marked.step, marked.error);
    }
    socket.bind({boost::asio::ip::address_v4::any(), 0}, error);
    if (error) return close_with(socket, "bind", error);
    return SocketOptionStatus::success();
}

}  // namespace

SocketOptionStatus open_direct_udp_socket(boost::asio::ip::udp::socket& socket, UdpStack stack,
                                          std::uint32_t routing_mark) {
    if (stack == UdpStack::v4_only) return open_v4(socket, routing_mark);

    boost::system::error_code error;
    socket.open(boost::asio::ip::udp::v6(), error);
    if (error == boost::asio::error::address_family_not_supported) {
        return open_v4(socket, routing_mark);
    }
    if (error) return SocketOptionStatus::failure("open", error);
    if (auto marked = apply_routing_mark(socket, routing_mark); !marked.ok()) {
        return close_with(socket, marked.step, marked.error);
    }
    // The sysctl net.ipv6.bindv6only may default this to on; dual-stack needs it off.
    socket.set_option(boost::asio::ip::v6_only(false), error);
    if (error) return close_with(socket, "IPV6_V6ONLY", error);
    socket.bind({boost::asio::ip::address_v6::any(), 0}, error);
    if (error) return close_with(socket, "bind", error);
    return SocketOptionStatus::success();
}

boost::asio::ip::udp::endpoint udp_destination(const boost::asio::ip::udp::socket& socket,
                                               const Endpoint& remote) {
    boost::asio::ip::address address = to_asio_address(remote.address);
    boost::system::error_code error;
    const auto local = socket.local_endpoint(error);
    if (!error && local.address().is_v6() && address.is_v4()) {
        address = boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4());
    }
    return {address, remote.port};
}

Endpoint udp_source(const boost::asio::ip::udp::endpoint& sender) {
    const boost::asio::ip::address address = sender.address();
    if (address.is_v4()) return {IpAddress::from_v4(address.to_v4().to_uint()), sender.port()};
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) {
        const auto v4 = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6);
        return {IpAddress::from_v4(v4.to_uint()), sender.port()};
    }
    return {IpAddress::from_v6(v6.to_bytes()), sender.port()};
}

}  // namespace shunt::outbound

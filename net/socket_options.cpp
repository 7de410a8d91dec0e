#include "net/socket_options.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace shunt {

std::string SocketOptionStatus::describe() const {
    if (ok()) return "ok";
    std::string text(step);
    text += ": ";
    text += error.message();
    return text;
}

SocketOptionStatus apply_routing_mark(int native_fd, std::uint32_t mark) {
    if (mark == 0) return SocketOptionStatus::success();
    // SO_MARK takes an int-sized value; the kernel reads it as u32.
    unsigned int value = mark;
    if (::setsockopt(native_fd, SOL_SOCKET, SO_MARK, &value, sizeof value) != 0) {
        return SocketOptionStatus::failure(
            "SO_MARK", boost::system::error_code(errno, boost::system::system_category()));
    }
    return SocketOptionStatus::success();
}

SocketOptionStatus apply_routing_mark(boost::asio::ip::tcp::socket& socket, std::uint32_t mark) {
    if (!socket.is_open()) {
        return SocketOptionStatus::failure("SO_MARK", boost::asio::error::bad_descriptor);
    }
    return apply_routing_mark(socket.native_handle(), mark);
}

SocketOptionStatus apply_routing_mark(boost::asio::ip::udp::socket& socket, std::uint32_t mark) {
    if (!socket.is_open()) {
        return SocketOptionStatus::failure("SO_MARK", boost::asio::error::bad_descriptor);
    }
    return apply_routing_mark(socket.native_handle(), mark);
}

std::optional<std::uint32_t> read_routing_mark(int native_fd) {
    unsigned int value = 0;
    socklen_t length = sizeof value;
    if (::getsockopt(native_fd, SOL_SOCKET, SO_MARK, &value, &length) != 0) return std::nullopt;
    return value;
}

SocketOptionStatus apply_tcp_nodelay(boost::asio::ip::tcp::socket& socket) {
    boost::system::error_code error;
    socket.set_option(boost::asio::ip::tcp::no_delay(true), error);
    if (error) return SocketOptionStatus::failure("TCP_NODELAY", error);
    return SocketOptionStatus::success();
}

}  // namespace shunt

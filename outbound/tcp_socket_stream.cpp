#include "outbound/tcp_socket_stream.hpp"

#include <limits>

#include <boost/asio/write.hpp>

namespace shunt::outbound {

TcpSocketStream::TcpSocketStream(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
}

TcpSocketStream::~TcpSocketStream() {
    close(true);
}

void TcpSocketStream::async_write(std::vector<boost::asio::const_buffer> buffers,
                                  WriteHandler handler) {
    // asio copies the buffer sequence into the operation; the bytes stay the caller's.
    // Its default condition (transfer_all) caps each sendmsg at 64 KB: let one system call
    // take every part it can gather (up to 64 pbufs, as much as the app's window holds).
    boost::asio::async_write(
        socket_, buffers,
        [](const boost::system::error_code& ec, std::size_t) -> std::size_t {
            return ec ? 0 : std::numeric_limits<std::size_t>::max();
        },
        std::move(handler));
}

void TcpSocketStream::async_wait_readable(WaitHandler handler) {
    socket_.async_wait(boost::asio::ip::tcp::socket::wait_read, std::move(handler));
}

std::size_t TcpSocketStream::read_some(std::span<std::uint8_t> into,
                                       boost::system::error_code& ec) {
    return socket_.read_some(boost::asio::buffer(into.data(), into.size()), ec);
}

void TcpSocketStream::shutdown_send() {
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
}

void TcpSocketStream::close(bool graceful) {
    if (!socket_.is_open()) return;
    boost::system::error_code ignored;
    // linger 0 turns close() into an RST: the far side must not take a failure for an end.
    if (!graceful) socket_.set_option(boost::asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
}

}  // namespace shunt::outbound

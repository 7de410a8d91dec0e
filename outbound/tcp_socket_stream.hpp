// TcpSocketStream: a Stream over a connected TCP socket (direct and SOCKS5 outbounds: after
// the SOCKS5 handshake the proxy relays bytes as they are). The socket is switched to
// non-blocking so read_some() can be tried after a readiness wait.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "outbound/stream.hpp"

namespace shunt::outbound {

class TcpSocketStream final : public Stream {
  public:
    explicit TcpSocketStream(boost::asio::ip::tcp::socket socket);
    ~TcpSocketStream() override;

    void async_write(std::vector<boost::asio::const_buffer> buffers, WriteHandler handler) override;
    void async_wait_readable(WaitHandler handler) override;
    std::size_t read_some(std::span<std::uint8_t> into, boost::system::error_code& ec) override;
    void shutdown_send() override;
    void close(bool graceful) override;

    boost::asio::ip::tcp::socket& socket() { return socket_; }

  private:
    boost::asio::ip::tcp::socket socket_;
};

}  // namespace shunt::outbound

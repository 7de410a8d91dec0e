// A connected byte stream to an upstream, plain TCP or TLS, behind one small
// interface so the DNS-over-stream logic (framing, pipelining, id rewriting) exists
// once. Handlers run on the executor the transport was made with.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace shunt::dns {

class TlsClientContext;

class StreamTransport {
  public:
    using ConnectHandler = std::function<void(boost::system::error_code)>;
    using IoHandler = std::function<void(boost::system::error_code, std::size_t)>;

    virtual ~StreamTransport() = default;
    // Tries `endpoints` in order until one connects; for TLS also handshakes and
    // verifies the certificate. No deadline of its own: the caller closes on timeout.
    virtual void async_connect(std::vector<boost::asio::ip::tcp::endpoint> endpoints,
                               ConnectHandler handler) = 0;
    // Writes the whole buffer (which must stay valid until the handler runs).
    virtual void async_write(boost::asio::const_buffer data, IoHandler handler) = 0;
    virtual void async_read_some(boost::asio::mutable_buffer data, IoHandler handler) = 0;
    // Cancels pending operations; their handlers get operation_aborted.
    virtual void close() = 0;
};

std::shared_ptr<StreamTransport> make_tcp_transport(boost::asio::any_io_executor executor,
                                                    std::uint32_t routing_mark = 0);

// `tls_name` is what the certificate must match (and the SNI when it is a name).
std::shared_ptr<StreamTransport> make_tls_transport(boost::asio::any_io_executor executor,
                                                    std::shared_ptr<TlsClientContext> context,
                                                    std::string tls_name,
                                                    std::uint32_t routing_mark = 0);

}  // namespace shunt::dns

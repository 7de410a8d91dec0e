// StreamTransport over a plain TCP socket.
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "dns/upstream/stream_transport.hpp"

namespace shunt::dns {

namespace {

class TcpTransport : public StreamTransport, public std::enable_shared_from_this<TcpTransport> {
  public:
    explicit TcpTransport(boost::asio::any_io_executor executor) : socket_(std::move(executor)) {}

    void async_connect(std::vector<boost::asio::ip::tcp::endpoint> endpoints,
                       ConnectHandler handler) override {
        auto shared_endpoints =
            std::make_shared<std::vector<boost::asio::ip::tcp::endpoint>>(std::move(endpoints));
        boost::asio::async_connect(
            socket_, *shared_endpoints,
            [self = shared_from_this(), shared_endpoints, handler = std::move(handler)](
                boost::system::error_code ec, const boost::asio::ip::tcp::endpoint&) {
                if (!ec) {
                    // Queries are small and latency-bound: never wait for Nagle.
                    boost::system::error_code ignored;
                    self->socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
                }
                handler(ec);
            });
    }

    void async_write(boost::asio::const_buffer data, IoHandler handler) override {
        boost::asio::async_write(
            socket_, data,
            [self = shared_from_this(), handler = std::move(handler)](
                boost::system::error_code ec, std::size_t n) { handler(ec, n); });
    }

    void async_read_some(boost::asio::mutable_buffer data, IoHandler handler) override {
        socket_.async_read_some(
            data, [self = shared_from_this(), handler = std::move(handler)](
                      boost::system::error_code ec, std::size_t n) { handler(ec, n); });
    }

    void close() override {
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

  private:
    boost::asio::ip::tcp::socket socket_;
};

}  // namespace

std::shared_ptr<StreamTransport> make_tcp_transport(boost::asio::any_io_executor executor) {
    return std::make_shared<TcpTransport>(std::move(executor));
}

}  // namespace shunt::dns

// StreamTransport over a plain TCP socket.
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "dns/upstream/stream_transport.hpp"
#include "net/marked_connect.hpp"

namespace shunt::dns {

namespace {

class TcpTransport : public StreamTransport, public std::enable_shared_from_this<TcpTransport> {
  public:
    TcpTransport(boost::asio::any_io_executor executor, std::uint32_t routing_mark)
        : socket_(std::move(executor)), routing_mark_(routing_mark) {}

    void async_connect(std::vector<boost::asio::ip::tcp::endpoint> endpoints,
                       ConnectHandler handler) override {
        dialer_ = async_connect_marked(
            socket_, std::move(endpoints), routing_mark_,
            [self = shared_from_this(),
             handler = std::move(handler)](boost::system::error_code ec) {
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
        if (dialer_) dialer_->cancel();
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

  private:
    std::shared_ptr<HappyEyeballsDialer> dialer_;  // while connecting: close() aborts it
    boost::asio::ip::tcp::socket socket_;
    std::uint32_t routing_mark_;
};

}  // namespace

std::shared_ptr<StreamTransport> make_tcp_transport(boost::asio::any_io_executor executor,
                                                    std::uint32_t routing_mark) {
    return std::make_shared<TcpTransport>(std::move(executor), routing_mark);
}

}  // namespace shunt::dns

// StreamTransport over TLS (asio::ssl + OpenSSL), for DNS over TLS.
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "dns/upstream/stream_transport.hpp"
#include "dns/upstream/tls_client_context.hpp"
#include "net/marked_connect.hpp"
#include "net/tls_client.hpp"

namespace shunt::dns {

namespace {

class TlsTransport : public StreamTransport, public std::enable_shared_from_this<TlsTransport> {
  public:
    TlsTransport(boost::asio::any_io_executor executor, std::shared_ptr<TlsClientContext> context,
                 std::string tls_name, std::uint32_t routing_mark)
        : context_(std::move(context)),
          tls_name_(std::move(tls_name)),
          routing_mark_(routing_mark),
          stream_(std::move(executor), context_->native()) {}

    void async_connect(std::vector<boost::asio::ip::tcp::endpoint> endpoints,
                       ConnectHandler handler) override {
        dialer_ = async_connect_marked(stream_.next_layer(), std::move(endpoints), routing_mark_,
                                       [self = shared_from_this(), handler = std::move(handler)](
                                           boost::system::error_code ec) mutable {
                                           if (ec) return handler(ec);
                                           self->handshake(std::move(handler));
                                       });
    }

    void async_write(boost::asio::const_buffer data, IoHandler handler) override {
        boost::asio::async_write(
            stream_, data,
            [self = shared_from_this(), handler = std::move(handler)](
                boost::system::error_code ec, std::size_t n) { handler(ec, n); });
    }

    void async_read_some(boost::asio::mutable_buffer data, IoHandler handler) override {
        stream_.async_read_some(
            data, [self = shared_from_this(), handler = std::move(handler)](
                      boost::system::error_code ec, std::size_t n) { handler(ec, n); });
    }

    void close() override {
        // No close_notify: the peer learns from the FIN, and a graceful TLS shutdown
        // would need another round trip for nothing DNS cares about.
        if (dialer_) dialer_->cancel();
        boost::system::error_code ignored;
        stream_.next_layer().close(ignored);
    }

  private:
    void handshake(ConnectHandler handler) {
        boost::system::error_code ignored;
        stream_.next_layer().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
        if (auto ec = expect_tls_peer_name(stream_.native_handle(), tls_name_)) return handler(ec);
        stream_.async_handshake(
            boost::asio::ssl::stream_base::client,
            [self = shared_from_this(),
             handler = std::move(handler)](boost::system::error_code ec) {
                handler(explain_handshake_error(self->stream_.native_handle(), ec));
            });
    }

    std::shared_ptr<TlsClientContext> context_;
    std::string tls_name_;
    std::uint32_t routing_mark_;
    std::shared_ptr<HappyEyeballsDialer> dialer_;  // while connecting: close() aborts it
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
};

}  // namespace

std::shared_ptr<StreamTransport> make_tls_transport(boost::asio::any_io_executor executor,
                                                    std::shared_ptr<TlsClientContext> context,
                                                    std::string tls_name,
                                                    std::uint32_t routing_mark) {
    return std::make_shared<TlsTransport>(std::move(executor), std::move(context),
                                          std::move(tls_name), routing_mark);
}

}  // namespace shunt::dns

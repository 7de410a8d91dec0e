#include "outbound/mux/client/carrier_connector.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/happy_eyeballs_dialer.hpp"
#include "net/tls_client.hpp"

namespace shunt::outbound::mux {

namespace {

// One connection attempt; lives through the callbacks that hold it.
struct Attempt : std::enable_shared_from_this<Attempt> {
    Attempt(boost::asio::any_io_executor executor, MuxClientOptions options,
            std::shared_ptr<boost::asio::ssl::context> tls)
        : executor(std::move(executor)),
          options(std::move(options)),
          tls(std::move(tls)),
          deadline(this->executor),
          started(std::chrono::steady_clock::now()) {}

    boost::asio::any_io_executor executor;
    MuxClientOptions options;
    std::shared_ptr<boost::asio::ssl::context> tls;
    MuxCarrier::ReadyHandler on_ready;
    MuxCarrier::ClosedHandler on_closed;
    CarrierHandler handler;
    boost::asio::steady_timer deadline;
    std::chrono::steady_clock::time_point started;
    std::shared_ptr<TlsChannel> stream;
    bool timed_out = false;

    std::string label() const {
        return options.name + " (" + options.server + ":" + std::to_string(options.port) + ")";
    }

    void fail(const boost::system::error_code& ec, const std::string& reason) {
        deadline.cancel();
        if (stream) stream->close();
        if (handler) {
            auto h = std::move(handler);
            handler = nullptr;
            h(ec, nullptr, reason);
        }
    }

    void dial(std::vector<IpAddress> addresses) {
        HappyEyeballsOptions dial_options;
        dial_options.routing_mark = options.routing_mark;
        dial_options.deadline = options.connect_timeout;
        auto dialer = HappyEyeballsDialer::create(executor, dial_options);
        dialer->start(std::move(addresses), options.port,
                      [self = shared_from_this()](boost::system::error_code ec,
                                                  boost::asio::ip::tcp::socket socket, IpAddress,
                                                  std::string reason) {
                          if (ec) {
                              self->fail(ec, "connect: " + reason);
                              return;
                          }
                          self->handshake(std::move(socket));
                      });
    }

    void handshake(boost::asio::ip::tcp::socket socket) {
        stream = std::make_shared<TlsChannel>(std::move(socket), tls->native_handle(),
                                              TlsChannel::Role::client);
        // SNI, and (unless a pinned fingerprint is the trust: no chain check then) the name
        // the certificate must carry, checked by OpenSSL during the handshake.
        if (auto ec = expect_tls_peer_name(stream->native_handle(), options.sni)) {
            fail(ec, "TLS setup: " + ec.message());
            return;
        }
        const auto left = options.connect_timeout - (std::chrono::steady_clock::now() - started);
        deadline.expires_after(left);
        deadline.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec || !self->stream) return;
            self->timed_out = true;
            self->stream->close();
        });
        // Weak: the channel keeps the handler; the deadline's wait keeps the attempt alive.
        stream->async_handshake([weak = weak_from_this()](const boost::system::error_code& ec) {
            if (auto self = weak.lock()) self->on_handshake(ec);
        });
    }

    void on_handshake(const boost::system::error_code& ec) {
        deadline.cancel();
        if (timed_out) {
            fail(boost::asio::error::timed_out, "TLS handshake: timed out");
            return;
        }
        SSL* ssl = stream->native_handle();
        if (ec) {
            const long verify = SSL_get_verify_result(ssl);
            fail(ec, verify != X509_V_OK ? std::string("server certificate: ") +
                                               X509_verify_cert_error_string(verify)
                                         : "TLS handshake: " + ec.message());
            return;
        }
        if (SSL_version(ssl) != TLS1_3_VERSION) {
            fail(boost::asio::error::no_protocol_option, "the server did not speak TLS 1.3");
            return;
        }
        if (options.fingerprint && !fingerprint_matches(ssl)) {
            fail(boost::asio::error::access_denied,
                 "server certificate: SHA-256 fingerprint does not match the pinned one");
            return;
        }
        Key binding{};
        if (!exporter_binding(ssl, binding)) {
            fail(boost::asio::error::no_protocol_option, "TLS exporter failed");
            return;
        }
        const Key key = auth_key(options.password);
        auto carrier = std::make_shared<MuxCarrier>(std::move(stream), CarrierRole::client,
                                                    options.carrier, label());
        carrier->start_client(client_proof(key, binding), server_proof(key, binding),
                              std::move(on_ready), std::move(on_closed));
        auto h = std::move(handler);
        handler = nullptr;
        h({}, std::move(carrier), {});
    }

    bool fingerprint_matches(SSL* ssl) const {
        X509* cert = SSL_get1_peer_certificate(ssl);
        if (cert == nullptr) return false;
        std::array<std::uint8_t, 32> digest{};
        unsigned length = 0;
        const bool ok = X509_digest(cert, EVP_sha256(), digest.data(), &length) == 1 &&
                        length == digest.size() && digest == *options.fingerprint;
        X509_free(cert);
        return ok;
    }
};

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(
    const MuxClientOptions& options) {
    TlsClientOptions tls;
    tls.minimum = TlsMinimum::v1_3;
    tls.cipher_suites = kMuxCipherSuites;
    tls.ca_file = options.ca_file;
    // A pin is the trust: the fingerprint is checked after the handshake.
    tls.verify_chain = !options.fingerprint;
    boost::system::error_code ec;
    std::shared_ptr<boost::asio::ssl::context> context = make_tls_client_context(tls, ec);
    if (!context)
        throw std::runtime_error("proxy " + options.name + ": cannot load ca " + options.ca_file +
                                 ": " + ec.message());
    return context;
}

void connect_carrier(boost::asio::any_io_executor executor, const MuxClientOptions& options,
                     std::shared_ptr<boost::asio::ssl::context> tls, const AddressLookup& lookup,
                     MuxCarrier::ReadyHandler on_ready, MuxCarrier::ClosedHandler on_closed,
                     CarrierHandler handler) {
    auto attempt = std::make_shared<Attempt>(executor, options, std::move(tls));
    attempt->on_ready = std::move(on_ready);
    attempt->on_closed = std::move(on_closed);
    attempt->handler = std::move(handler);
    if (auto address = IpAddress::parse(options.server)) {
        boost::asio::post(executor, [attempt, address = *address] { attempt->dial({address}); });
        return;
    }
    lookup(options.server,
           [attempt](const boost::system::error_code& ec, std::vector<IpAddress> addresses) {
               if (ec || addresses.empty()) {
                   attempt->fail(ec ? ec : make_error_code(boost::asio::error::host_not_found),
                                 "resolve " + attempt->options.server + ": " +
                                     (ec ? ec.message() : std::string("no address")));
                   return;
               }
               attempt->dial(std::move(addresses));
           });
}

}  // namespace shunt::outbound::mux

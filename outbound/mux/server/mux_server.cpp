#include "outbound/mux/server/mux_server.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/asio_address.hpp"

namespace shunt::outbound::mux {

// One accepted connection until it is a carrier or closed: TLS handshake, then AUTH read
// exactly (its 3-byte head, then the proof and padding it announces), all within
// auth_timeout.
struct MuxServer::Handshake : std::enable_shared_from_this<Handshake> {
    Handshake(MuxServer& server, boost::asio::ip::tcp::socket socket)
        : server(server),
          stream(std::make_shared<TlsChannel>(std::move(socket), server.tls_->native_handle(),
                                              TlsChannel::Role::server)),
          deadline(server.executor_) {}

    MuxServer& server;
    std::shared_ptr<TlsChannel> stream;
    boost::asio::steady_timer deadline;
    std::vector<std::uint8_t> message;
    bool done = false;
    bool tls_up = false;  // past the TLS handshake: a refusal is about AUTH
    std::string peer;

    void begin() {
        boost::system::error_code ignored;
        peer = Endpoint{from_asio_address(stream->socket().remote_endpoint(ignored).address()),
                        stream->socket().remote_endpoint(ignored).port()}
                   .to_string();
        deadline.expires_after(server.options_.auth_timeout);
        deadline.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec) self->refuse("no authentication within the deadline");
        });
        // The channel keeps its handlers: they hold the handshake weakly (the deadline's wait
        // holds it strongly), or the two would own each other.
        stream->async_handshake([weak = weak_from_this()](const boost::system::error_code& ec) {
            auto self = weak.lock();
            if (!self) return;
            if (ec) {
                self->refuse("TLS handshake: " + ec.message());
                return;
            }
            self->tls_up = true;
            self->read_head();
        });
    }

    void read_head() {
        message.resize(3);
        stream->async_read_exactly(
            message, [weak = weak_from_this()](const boost::system::error_code& ec, std::size_t) {
                auto self = weak.lock();
                if (!self) return;
                if (ec) {
                    self->refuse("reading AUTH: " + ec.message());
                    return;
                }
                self->read_rest();
            });
    }

    void read_rest() {
        if (message[0] != 1) {
            refuse("AUTH version " + std::to_string(message[0]));
            return;
        }
        const std::size_t padding = (std::size_t{message[1]} << 8) | message[2];
        // Judged from the head: a client claiming 64 KiB of padding is refused now, not
        // waited for until the AUTH deadline.
        Key proof{};
        std::size_t consumed = 0;
        if (parse_auth_message(message, proof, consumed) == AuthParse::invalid) {
            refuse("AUTH padding of " + std::to_string(padding) + " bytes (16..512 allowed)");
            return;
        }
        message.resize(3 + 32 + padding);
        stream->async_read_exactly(
            std::span(message).subspan(3),
            [weak = weak_from_this()](const boost::system::error_code& ec, std::size_t) {
                auto self = weak.lock();
                if (!self) return;
                if (ec) {
                    self->refuse("reading AUTH: " + ec.message());
                    return;
                }
                self->verify();
            });
    }

    void verify() {
        Key proof{};
        std::size_t consumed = 0;
        Key binding{};
        if (parse_auth_message(message, proof, consumed) != AuthParse::complete ||
            !exporter_binding(stream->native_handle(), binding)) {
            refuse("malformed AUTH");
            return;
        }
        if (!proofs_equal(proof, client_proof(server.auth_key_, binding))) {
            refuse("wrong password");
            return;
        }
        finish();
        auto carrier = std::make_shared<MuxCarrier>(std::move(stream), CarrierRole::server,
                                                    server.options_.carrier, "client " + peer);
        carrier->start_server(
            server_proof(server.auth_key_, binding),
            [&server = server](std::unique_ptr<MuxStream> stream, const OpenPayload& open) {
                ++server.stats_.streams;
                open_target(server.executor_, std::move(stream), open, server.lookup_,
                            {.connect_timeout = server.options_.connect_timeout,
                             .udp_idle_timeout = server.options_.udp_idle_timeout,
                             .policy = server.targets_,
                             .dial = server.dial_});
            },
            [&server = server](MuxCarrier& closed, const std::string& reason) {
                spdlog::info("mux-server: {} gone: {}", closed.label(), reason);
                server.carriers_.remove_if(
                    [&closed](const auto& carrier) { return carrier.get() == &closed; });
            });
        ++server.stats_.authenticated;
        spdlog::info("mux-server: {} authenticated", peer);
        server.carriers_.push_back(std::move(carrier));
    }

    void finish() {
        done = true;
        deadline.cancel();
        --server.handshakes_;
    }

    // To the client this is a TLS server closing: close_notify (if TLS is up) and FIN.
    void refuse(const std::string& reason) {
        if (done) return;
        finish();
        ++server.stats_.auth_failed;
        // Anything reaching a public port (scanners, probes) ends here: a line per second,
        // counted apart for failed TLS handshakes (noise) and failed AUTHs (a client with
        // the wrong password), so the noise never hides the line that matters.
        auto& limit = tls_up ? server.auth_refusal_log_ : server.handshake_refusal_log_;
        if (const auto skipped = limit.admit())
            spdlog::info("mux-server: {} refused: {}{}", peer, reason,
                         *skipped == 0 ? std::string()
                                       : " (" + std::to_string(*skipped) +
                                             " more refused since the last line)");
        if (!stream) return;
        // close_notify, then the socket closes, without waiting for the peer's answer.
        stream->shutdown_and_close();
    }
};

MuxServer::MuxServer(boost::asio::any_io_executor executor, MuxServerOptions options,
                     AddressLookup lookup, TargetDialer dial)
    : executor_(std::move(executor)),
      shutdown_timer_(executor_),
      options_(std::move(options)),
      lookup_(std::move(lookup)),
      dial_(std::move(dial)),
      targets_(std::make_shared<const TargetPolicy>(options_.targets)),
      auth_key_(auth_key(options_.password)),
      tls_(std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server)) {
    SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_3_VERSION);
    SSL_CTX_set_ciphersuites(tls_->native_handle(), kMuxCipherSuites);
    boost::system::error_code ec;
    tls_->use_certificate_chain_file(options_.cert_file, ec);
    if (ec)
        throw std::runtime_error("mux_server: cannot load cert " + options_.cert_file + ": " +
                                 ec.message());
    tls_->use_private_key_file(options_.key_file, boost::asio::ssl::context::pem, ec);
    if (ec)
        throw std::runtime_error("mux_server: cannot load key " + options_.key_file + ": " +
                                 ec.message());
    if (SSL_CTX_check_private_key(tls_->native_handle()) != 1)
        throw std::runtime_error("mux_server: the key " + options_.key_file +
                                 " does not match the certificate " + options_.cert_file);
}

MuxServer::~MuxServer() {
    stop();
}

void MuxServer::start() {
    for (const auto& endpoint : options_.listen) {
        auto acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(executor_);
        const boost::asio::ip::tcp::endpoint local(to_asio_address(endpoint.address),
                                                   endpoint.port);
        try {
            acceptor->open(local.protocol());
            acceptor->set_option(boost::asio::socket_base::reuse_address(true));
            if (local.address().is_v6()) acceptor->set_option(boost::asio::ip::v6_only(true));
            acceptor->bind(local);
            acceptor->listen();
        } catch (const boost::system::system_error& e) {
            throw std::system_error(e.code(), "mux_server: listen " + endpoint.to_string());
        }
        acceptors_.push_back(std::move(acceptor));
        accept_retries_.push_back(
            std::make_unique<AcceptRetry>(executor_, "mux-server: " + endpoint.to_string()));
        do_accept(acceptors_.size() - 1);
    }
    for (const auto& endpoint : local_endpoints())
        spdlog::info("mux-server: listening on {}", endpoint.to_string());
    spdlog::info("mux-server: targets: {}", targets_->describe());
}

std::vector<Endpoint> MuxServer::local_endpoints() const {
    std::vector<Endpoint> endpoints;
    for (const auto& acceptor : acceptors_) {
        boost::system::error_code ec;
        const auto local = acceptor->local_endpoint(ec);
        if (!ec) endpoints.push_back(Endpoint{from_asio_address(local.address()), local.port()});
    }
    return endpoints;
}

std::size_t MuxServer::stream_count() const {
    std::size_t count = 0;
    for (const auto& carrier : carriers_) count += carrier->stream_count();
    return count;
}

void MuxServer::do_accept(std::size_t index) {
    acceptors_[index]->async_accept(
        [this, index](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
            // Aborted: the acceptor closed (shut_down, stop) or the server is gone; `this`
            // may not be touched.
            if (ec == boost::asio::error::operation_aborted || stopped_) return;
            if (ec)
                return accept_retries_[index]->after_error(ec, [this, index] { do_accept(index); });
            authenticate(std::move(socket));
            do_accept(index);
        });
}

void MuxServer::authenticate(boost::asio::ip::tcp::socket socket) {
    ++stats_.accepted;
    if (carriers_.size() + handshakes_ >= options_.max_carriers) {
        ++stats_.refused_cap;
        spdlog::warn("mux-server: {} carriers (max_carriers): closing a new connection",
                     carriers_.size());
        return;  // the socket closes here
    }
    // Best effort, latency only: where it fails (the fuzzer's socketpair end has no
    // TCP_NODELAY) the connection is served all the same rather than throwing out of the
    // accept handler.
    boost::system::error_code ignored;
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    ++handshakes_;
    auto handshake = std::make_shared<Handshake>(*this, std::move(socket));
    std::erase_if(pending_, [](const auto& weak) { return weak.expired(); });
    pending_.push_back(handshake);
    handshake->begin();
}

void MuxServer::shut_down(std::chrono::milliseconds grace, std::function<void()> done) {
    for (auto& acceptor : acceptors_) {
        boost::system::error_code ignored;
        acceptor->close(ignored);
    }
    // GOAWAY: clients open new streams elsewhere; streams already open may finish.
    for (auto& carrier : carriers_) carrier->drain("server stopping");
    shutdown_deadline_ = std::chrono::steady_clock::now() + grace;
    shutdown_done_ = std::move(done);
    check_shut_down();
}

void MuxServer::check_shut_down() {
    if (!carriers_.empty() && std::chrono::steady_clock::now() < shutdown_deadline_) {
        shutdown_timer_.expires_after(std::chrono::milliseconds(100));
        shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) check_shut_down();
        });
        return;
    }
    stop();
    if (auto done = std::move(shutdown_done_)) done();
}

void MuxServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    shutdown_timer_.cancel();
    for (auto& acceptor : acceptors_) {
        boost::system::error_code ignored;
        acceptor->close(ignored);
    }
    for (auto& retry : accept_retries_) retry->cancel();
    // Handshakes in progress: their callbacks see `done` and never touch the server again.
    for (auto& weak : pending_) {
        if (auto handshake = weak.lock(); handshake && !handshake->done) {
            handshake->done = true;
            handshake->deadline.cancel();
            if (handshake->stream) handshake->stream->close();
        }
    }
    pending_.clear();
    auto carriers = std::move(carriers_);
    carriers_.clear();
    for (auto& carrier : carriers) carrier->close("server stopping");
}

}  // namespace shunt::outbound::mux

#include "outbound/group/url_probe.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/tls_client.hpp"

namespace shunt::outbound {

namespace {

// One context for every https probe: the system's trust store (SSL_CERT_FILE honoured),
// TLS 1.2 at least, ALPN http/1.1. Null when the store cannot be loaded.
SSL_CTX* probe_tls_context(std::string& error) {
    static boost::system::error_code load_error;
    static const auto context =
        make_tls_client_context({TlsMinimum::v1_2, "", true, "http/1.1", nullptr}, load_error);
    if (!context) error = "no TLS trust store: " + load_error.message();
    return context ? context->native_handle() : nullptr;
}

std::string tls_error_text(unsigned long code) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

struct Probe : std::enable_shared_from_this<Probe> {
    explicit Probe(boost::asio::any_io_executor executor)
        : timer(executor), started(std::chrono::steady_clock::now()) {}
    ~Probe() {
        if (ssl) SSL_free(ssl);  // frees both memory BIOs too
    }

    boost::asio::steady_timer timer;
    std::chrono::steady_clock::time_point started;
    std::unique_ptr<Stream> stream;
    std::string request;
    std::string answer;
    ProbeHandler handler;
    // https: the TLS session runs over the stream through two memory BIOs — what OpenSSL
    // writes into `to_stream` is sent, what the stream delivers goes into `from_stream`.
    SSL* ssl = nullptr;
    BIO* from_stream = nullptr;
    BIO* to_stream = nullptr;
    std::string sending;  // ciphertext being written
    bool writing = false;
    bool request_sent = false;

    void finish(bool ok, const std::string& error, int status = 0, bool timed_out = false) {
        if (!handler) return;
        timer.cancel();
        auto done = std::move(handler);
        handler = nullptr;
        ProbeResult result;
        result.ok = ok;
        result.delay = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        result.status = status;
        result.timed_out = timed_out;
        result.error = error;
        if (stream) stream->close(false);
        done(result);
    }

    void on_connected(std::unique_ptr<Stream> connected, const ProbeTarget& target) {
        stream = std::move(connected);
        if (target.tls) return start_tls(target.host);
        stream->async_write(
            {boost::asio::buffer(request)},
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                if (ec) self->finish(false, "send: " + ec.message());
            });
        wait();
    }

    void start_tls(const std::string& host) {
        std::string error;
        SSL_CTX* context = probe_tls_context(error);
        if (context == nullptr) return finish(false, error);
        ssl = SSL_new(context);
        from_stream = BIO_new(BIO_s_mem());
        to_stream = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl, from_stream, to_stream);
        SSL_set_connect_state(ssl);
        // SNI, and the certificate must name the host (an address: an IP SAN).
        if (auto ec = expect_tls_peer_name(ssl, host)) return finish(false, "tls: " + ec.message());
        drive_tls();
        if (handler) wait();
    }

    // Moves the TLS session on as far as it goes without the peer: the handshake, then
    // the request once, then whatever plaintext has arrived; and sends what it produced.
    void drive_tls() {
        if (!handler) return;
        if (!SSL_is_init_finished(ssl)) {
            ERR_clear_error();
            const int r = SSL_do_handshake(ssl);
            if (r != 1) {
                const int why = SSL_get_error(ssl, r);
                if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
                    const long verify = SSL_get_verify_result(ssl);
                    return finish(false, verify != X509_V_OK
                                             ? std::string("tls: certificate: ") +
                                                   X509_verify_cert_error_string(verify)
                                             : "tls: " + tls_error_text(ERR_get_error()));
                }
            }
        }
        if (SSL_is_init_finished(ssl) && !request_sent) {
            request_sent = true;
            if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) <= 0)
                return finish(false, "tls: " + tls_error_text(ERR_get_error()));
        }
        if (SSL_is_init_finished(ssl)) {
            std::array<char, 256> plain{};
            int n = 0;
            while ((n = SSL_read(ssl, plain.data(), static_cast<int>(plain.size()))) > 0) {
                answer.append(plain.data(), static_cast<std::size_t>(n));
                if (check_answer()) return;
            }
        }
        flush_tls();
    }

    void flush_tls() {
        if (writing || BIO_ctrl_pending(to_stream) == 0) return;
        sending.resize(BIO_ctrl_pending(to_stream));
        const int n = BIO_read(to_stream, sending.data(), static_cast<int>(sending.size()));
        sending.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        writing = true;
        stream->async_write(
            {boost::asio::buffer(sending)},
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                self->writing = false;
                if (!self->handler) return;
                if (ec) return self->finish(false, "send: " + ec.message());
                self->flush_tls();
            });
    }

    void wait() {
        stream->async_wait_readable(
            [self = shared_from_this()](const boost::system::error_code&) { self->on_readable(); });
    }

    void on_readable() {
        if (!handler) return;
        std::array<std::uint8_t, 4096> buffer{};
        boost::system::error_code ec;
        const std::size_t n = stream->read_some(buffer, ec);
        if (ec == boost::asio::error::would_block) {
            wait();
            return;
        }
        if (ec) {
            finish(false, ec == boost::asio::error::eof ? "closed without an answer"
                                                        : "receive: " + ec.message());
            return;
        }
        if (ssl) {
            BIO_write(from_stream, buffer.data(), static_cast<int>(n));
            drive_tls();
            if (handler) wait();
            return;
        }
        answer.append(reinterpret_cast<const char*>(buffer.data()), n);
        if (!check_answer()) wait();
    }

    // Finishes once the answer shows its status line ("HTTP/1.1 204 "); false to read on.
    bool check_answer() {
        const auto space = answer.find(' ');
        if ((answer.size() < 5 || space == std::string::npos || answer.size() < space + 4) &&
            answer.size() < 64)
            return false;
        int status = 0;
        if (space != std::string::npos && answer.size() >= space + 4) {
            for (std::size_t i = space + 1; i < space + 4; ++i) {
                const char c = answer[i];
                status = c >= '0' && c <= '9' ? status * 10 + (c - '0') : -1000;
            }
        }
        if (answer.compare(0, 5, "HTTP/") == 0 && status >= 100 && status <= 999)
            finish(true, {}, status);
        else
            finish(false, "not an HTTP answer");
        return true;
    }
};

}  // namespace

void probe_url(boost::asio::any_io_executor executor, Outbound& via, const ProbeTarget& target,
               std::chrono::milliseconds timeout, ProbeHandler handler) {
    auto probe = std::make_shared<Probe>(executor);
    probe->handler = std::move(handler);
    const bool ipv6 = target.host.find(':') != std::string::npos;
    const std::string host = ipv6 ? "[" + target.host + "]" : target.host;
    const std::uint16_t default_port = target.tls ? 443 : 80;
    probe->request = "GET " + target.path + " HTTP/1.1\r\nHost: " + host +
                     (target.port == default_port ? "" : ":" + std::to_string(target.port)) +
                     "\r\nUser-Agent: shunt\r\nConnection: close\r\n\r\n";
    probe->timer.expires_after(timeout);
    probe->timer.async_wait([probe](const boost::system::error_code& ec) {
        if (!ec) probe->finish(false, "timed out", 0, true);
    });
    Target to;
    if (auto address = IpAddress::parse(target.host))
        to.address = *address;
    else
        to.domain = target.host;
    to.port = target.port;
    via.connect(to, [probe, target](const boost::system::error_code& ec,
                                    std::unique_ptr<Stream> stream, std::string reason) {
        if (!probe->handler) return;  // timed out meanwhile: the stream goes
        if (ec) {
            probe->finish(false, reason);
            return;
        }
        probe->on_connected(std::move(stream), target);
    });
}

}  // namespace shunt::outbound

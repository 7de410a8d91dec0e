#include "outbound/mux/session/tls_channel.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

namespace shunt::outbound::mux {

namespace {

// Ciphertext taken from the socket per read: many records, one syscall. It is OpenSSL's
// read buffer (read-ahead), which the socket fills directly.
constexpr std::size_t kSocketRead = 256 * 1024;

// One BIO over the socket and the channel's own buffer: OpenSSL reads ciphertext from the
// (non-blocking) socket straight into its read buffer, and writes records into out_, which
// goes to the socket in one write.
BIO_METHOD* channel_bio_method() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "shunt-tls");
        BIO_meth_set_write(m, [](BIO* bio, const char* data, int length) {
            return static_cast<TlsChannel*>(BIO_get_data(bio))->bio_write(data, length);
        });
        BIO_meth_set_read(m, [](BIO* bio, char* data, int length) {
            return static_cast<TlsChannel*>(BIO_get_data(bio))->bio_read(bio, data, length);
        });
        BIO_meth_set_ctrl(m, [](BIO*, int command, long, void*) -> long {
            return command == BIO_CTRL_FLUSH ? 1 : 0;
        });
        BIO_meth_set_create(m, [](BIO* bio) {
            BIO_set_init(bio, 1);
            return 1;
        });
        return m;
    }();
    return method;
}

boost::system::error_code ssl_error() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return make_error_code(boost::asio::error::fault);
    return {static_cast<int>(code), boost::asio::error::get_ssl_category()};
}

}  // namespace

TlsChannel::TlsChannel(boost::asio::ip::tcp::socket socket, ssl_ctx_st* context, Role role)
    : socket_(std::move(socket)), ssl_(SSL_new(context)), bio_(BIO_new(channel_bio_method())) {
    if (ssl_ == nullptr || bio_ == nullptr) throw std::bad_alloc();
    BIO_set_data(bio_, this);
    SSL_set_bio(ssl_, bio_, bio_);  // the same BIO both ways: the SSL takes our one reference
    // Read-ahead: each read fills OpenSSL's buffer with as many records as have arrived.
    SSL_set_read_ahead(ssl_, 1);
    SSL_set_default_read_buffer_len(ssl_, kSocketRead);
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
    if (role == Role::client)
        SSL_set_connect_state(ssl_);
    else
        SSL_set_accept_state(ssl_);
}

TlsChannel::~TlsChannel() {
    SSL_free(ssl_);
}

void TlsChannel::close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
}

// ---- handshake ----

void TlsChannel::async_handshake(Handler handler) {
    handshake_handler_ = std::move(handler);
    step_handshake();
}

void TlsChannel::step_handshake() {
    // OpenSSL's error queue is per thread, shared by every carrier on it: a failure left
    // there by another channel must not read as ours.
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_);
    flush();  // what OpenSSL wrote into out_ (bio_write)
    if (result == 1) {
        auto handler = std::move(handshake_handler_);
        handshake_handler_ = nullptr;
        boost::asio::post(socket_.get_executor(), [handler = std::move(handler)] { handler({}); });
        return;
    }
    const int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_READ) {
        read_socket();
        return;
    }
    auto handler = std::move(handshake_handler_);
    handshake_handler_ = nullptr;
    const auto ec = socket_error_ ? socket_error_
                    : error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN
                        ? make_error_code(boost::asio::error::eof)
                        : ssl_error();
    boost::asio::post(socket_.get_executor(), [handler = std::move(handler), ec] { handler(ec); });
}

// ---- reading ----

void TlsChannel::async_read_some(std::span<std::uint8_t> into, IoHandler handler) {
    read_into_ = into;
    read_handler_ = std::move(handler);
    try_read();
}

void TlsChannel::async_read_exactly(std::span<std::uint8_t> into, IoHandler handler) {
    read_exactly_from(into, 0, std::move(handler));
}

void TlsChannel::read_exactly_from(std::span<std::uint8_t> into, std::size_t done,
                                   IoHandler handler) {
    async_read_some(into.subspan(done),
                    [weak = weak_from_this(), into, done, handler = std::move(handler)](
                        const boost::system::error_code& ec, std::size_t n) mutable {
                        auto self = weak.lock();
                        if (!self) return;
                        if (ec || done + n == into.size()) {
                            handler(ec, done + n);
                            return;
                        }
                        self->read_exactly_from(into, done + n, std::move(handler));
                    });
}

// Decrypts what the memory BIO holds into the caller's buffer; reads the socket when it
// holds no whole record.
void TlsChannel::try_read() {
    if (!read_handler_) return;
    std::size_t total = 0;
    int last = 0;
    ERR_clear_error();  // see step_handshake
    while (total < read_into_.size()) {
        last =
            SSL_read(ssl_, read_into_.data() + total,
                     static_cast<int>(std::min<std::size_t>(read_into_.size() - total, 1 << 30)));
        if (last <= 0) break;
        total += static_cast<std::size_t>(last);
    }
    flush();  // a KeyUpdate or ticket may have produced records (bio_write)
    if (total > 0) {
        auto handler = std::move(read_handler_);
        read_handler_ = nullptr;
        boost::asio::post(socket_.get_executor(),
                          [handler = std::move(handler), total] { handler({}, total); });
        return;
    }
    const int error = SSL_get_error(ssl_, last);
    // At the socket's end our BIO reads 0 without asking for a retry: that is SYSCALL
    // below, never WANT_READ.
    if (error == SSL_ERROR_WANT_READ) {
        read_socket();
        return;
    }
    if (socket_error_) return fail_read(socket_error_);
    // SYSCALL with the socket at its end: the peer closed without close_notify. (Our BIO
    // answers BIO_CTRL_EOF with 0, so OpenSSL reports it so rather than as an SSL error;
    // readiness relies on SSL_MODE_AUTO_RETRY, OpenSSL's default: WANT_READ means the
    // socket is drained.)
    fail_read(error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && socket_eof_)
                  ? make_error_code(boost::asio::error::eof)
                  : ssl_error());
}

void TlsChannel::fail_read(const boost::system::error_code& ec) {
    auto handler = std::move(read_handler_);
    read_handler_ = nullptr;
    if (handler)
        boost::asio::post(socket_.get_executor(),
                          [handler = std::move(handler), ec] { handler(ec, 0); });
}

// Waits until the socket is readable; OpenSSL then reads it (bio_read).
void TlsChannel::read_socket() {
    if (socket_waiting_) return;
    socket_waiting_ = true;
    socket_.async_wait(boost::asio::ip::tcp::socket::wait_read,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                           self->socket_waiting_ = false;
                           if (ec) {
                               if (self->handshake_handler_) {
                                   auto handler = std::move(self->handshake_handler_);
                                   self->handshake_handler_ = nullptr;
                                   handler(ec);
                               }
                               self->fail_read(ec);
                               return;
                           }
                           if (self->handshake_handler_) {
                               self->step_handshake();
                               return;
                           }
                           self->try_read();
                       });
}

// ---- writing ----

void TlsChannel::async_write(std::span<const std::uint8_t> data, IoHandler handler) {
    if (write_error_) {
        boost::asio::post(socket_.get_executor(),
                          [handler = std::move(handler), ec = write_error_] { handler(ec, 0); });
        return;
    }
    // Our BIO's writes never block: SSL_write takes everything at once.
    std::size_t offset = 0;
    ERR_clear_error();  // see step_handshake
    while (offset < data.size()) {
        const int n =
            SSL_write(ssl_, data.data() + offset,
                      static_cast<int>(std::min<std::size_t>(data.size() - offset, 1 << 30)));
        if (n <= 0) {
            const auto ec = ssl_error();
            boost::asio::post(socket_.get_executor(),
                              [handler = std::move(handler), ec] { handler(ec, 0); });
            return;
        }
        offset += static_cast<std::size_t>(n);
    }
    flush();  // what OpenSSL wrote into out_ (bio_write)
    write_handler_ = std::move(handler);
    write_done_at_ = queued_total_;
    write_plain_ = data.size();
    flush();
}

int TlsChannel::bio_write(const char* data, int length) {
    // As uint8_t pointers: insert() from char iterators copies byte by byte without -O2;
    // from pointers of the element type it is one memmove.
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
    out_.insert(out_.end(), bytes, bytes + length);
    queued_total_ += static_cast<std::uint64_t>(length);
    return length;
}

int TlsChannel::bio_read(bio_st* bio, char* data, int length) {
    BIO_clear_retry_flags(bio);
    if (socket_eof_ || socket_error_) return 0;
    for (;;) {
        const ssize_t n =
            ::recv(socket_.native_handle(), data, static_cast<std::size_t>(length), 0);
        if (n > 0) return static_cast<int>(n);
        if (n == 0) {
            socket_eof_ = true;
            return 0;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            BIO_set_retry_read(bio);  // more will come: read_socket() waits for it
            return -1;
        }
        socket_error_ = boost::system::error_code(errno, boost::asio::error::get_system_category());
        return -1;
    }
}

void TlsChannel::flush() {
    if (flushing_ || out_.empty() || write_error_) return;
    flushing_ = true;
    writing_.swap(out_);
    out_.clear();
    boost::asio::async_write(
        socket_, boost::asio::buffer(writing_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            self->on_flushed(ec, n);
        });
}

void TlsChannel::on_flushed(const boost::system::error_code& ec, std::size_t n) {
    flushing_ = false;
    sent_total_ += n;
    writing_.clear();
    if (ec) write_error_ = ec;
    if (write_handler_ && (ec || sent_total_ >= write_done_at_)) {
        auto handler = std::move(write_handler_);
        write_handler_ = nullptr;
        handler(ec, ec ? 0 : write_plain_);
    }
    if (!ec) flush();
}

void TlsChannel::shutdown_and_close() {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // queues close_notify
    flush();             // what OpenSSL wrote into out_ (bio_write)
    if (!flushing_) {
        close();
        return;
    }
    // Close once what is queued has gone (or failed).
    auto self = shared_from_this();
    write_handler_ = [self](const boost::system::error_code&, std::size_t) { self->close(); };
    write_done_at_ = queued_total_;
}

}  // namespace shunt::outbound::mux

// TlsChannel: TLS over a TCP socket, OpenSSL driven through a BIO of ours so that the
// socket sees few, large reads and writes. asio::ssl::stream reads at most 17 KB per
// syscall and sends one 16 KB record per write; for a carrier moving gigabits that is
// three times the syscalls and reactor wake-ups of a plain relay (measured by
// bench_outbound). Here a read (read-ahead) takes up to 256 KB of ciphertext straight into
// OpenSSL's buffer and decrypts every record in it into the caller's buffer, and a write
// encrypts all it is given and sends it with one socket write.
// One read and one write may be in flight at a time; all on one executor. Handlers are
// never called inline. The channel keeps a handler while its operation waits, so a handler
// must not own the channel's owner (capture it weakly) or the two never die.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

struct ssl_st;
struct ssl_ctx_st;
struct bio_st;

// TLS 1.3 suites in mux's order: AES-128-GCM first (AES-NI makes it the cheapest per byte
// here; the 256-bit variant costs ~30% more for no gain against this threat model).
inline constexpr const char* kMuxCipherSuites =
    "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384";

namespace shunt::outbound::mux {

class TlsChannel : public std::enable_shared_from_this<TlsChannel> {
  public:
    using Handler = std::function<void(const boost::system::error_code& ec)>;
    using IoHandler = std::function<void(const boost::system::error_code& ec, std::size_t n)>;
    enum class Role : std::uint8_t { client, server };

    // Takes a connected socket; `context` stays referenced by the SSL object.
    TlsChannel(boost::asio::ip::tcp::socket socket, ssl_ctx_st* context, Role role);
    ~TlsChannel();
    TlsChannel(const TlsChannel&) = delete;
    TlsChannel& operator=(const TlsChannel&) = delete;

    // Set SNI and verification on it before the handshake.
    ssl_st* native_handle() { return ssl_; }
    boost::asio::ip::tcp::socket& socket() { return socket_; }
    boost::asio::any_io_executor get_executor() { return socket_.get_executor(); }

    void async_handshake(Handler handler);
    // Completes with at least one byte, or with eof (close_notify or the socket's end) or
    // the failure. Fills as much of `into` as the ciphertext already received allows.
    void async_read_some(std::span<std::uint8_t> into, IoHandler handler);
    // Reads exactly into.size() bytes (the server's AUTH).
    void async_read_exactly(std::span<std::uint8_t> into, IoHandler handler);
    // Encrypts all of `data` (it may be reused once this returns) and completes when the
    // ciphertext is written.
    void async_write(std::span<const std::uint8_t> data, IoHandler handler);
    // close_notify, sent best effort, then the socket is closed.
    void shutdown_and_close();
    void close();

    // The BIO's callbacks (OpenSSL calls them from SSL_read / SSL_write / the handshake).
    int bio_write(const char* data, int length);
    int bio_read(bio_st* bio, char* data, int length);

  private:
    void step_handshake();
    void read_exactly_from(std::span<std::uint8_t> into, std::size_t done, IoHandler handler);
    void try_read();
    void read_socket();
    void flush();
    void on_flushed(const boost::system::error_code& ec, std::size_t n);
    void fail_read(const boost::system::error_code& ec);

    boost::asio::ip::tcp::socket socket_;
    ssl_st* ssl_ = nullptr;
    bio_st* bio_ = nullptr;  // reads socket_in_, writes out_

    Handler handshake_handler_;
    std::span<std::uint8_t> read_into_;
    IoHandler read_handler_;
    bool socket_waiting_ = false;             // for the socket to become readable
    bool socket_eof_ = false;                 // the peer finished sending (read returned 0)
    boost::system::error_code socket_error_;  // the socket's read failed

    std::vector<std::uint8_t> out_;      // ciphertext waiting for the socket
    std::vector<std::uint8_t> writing_;  // ciphertext being written
    bool flushing_ = false;
    std::uint64_t queued_total_ = 0;         // ciphertext bytes ever queued
    std::uint64_t sent_total_ = 0;           // ... and written to the socket
    IoHandler write_handler_;                // the caller's write: done when sent_total_ reaches
    std::uint64_t write_done_at_ = 0;        // this
    std::size_t write_plain_ = 0;            // its plaintext size
    boost::system::error_code write_error_;  // the socket failed: every later write fails
};

}  // namespace shunt::outbound::mux

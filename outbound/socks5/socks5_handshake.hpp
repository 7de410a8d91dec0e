// The client side of a SOCKS5 handshake (RFC 1928, with RFC 1929 username/password) over
// an already connected TCP socket: greeting, optional sub-negotiation, then one CONNECT or
// UDP ASSOCIATE request. The handshake owns the socket while it runs and hands it back in
// the handler, so a caller never has to keep a socket alive across it.
//
// Every reply is read exactly (a domain reply's length comes from its length byte), so no
// byte the proxy relays after the reply is consumed here. A deadline covers the whole
// exchange; at expiry the socket is closed and the handler gets timed_out.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "outbound/socks5/socks5_address.hpp"
#include "outbound/socks5/socks5_error.hpp"

namespace shunt::outbound {

enum class Socks5Command : std::uint8_t { connect = 1, udp_associate = 3 };

struct Socks5Request {
    Socks5Command command = Socks5Command::connect;
    HostPort target;  // for UDP ASSOCIATE: where our datagrams come from (0.0.0.0:0)
    // Username/password is offered only when `username` is non-empty.
    std::string username;
    std::string password;
};

// The raw messages, public for tests.
std::vector<std::uint8_t> encode_socks5_greeting(bool offer_password);
// Empty when the username or password is longer than 255 bytes.
std::vector<std::uint8_t> encode_socks5_password_auth(const std::string& username,
                                                      const std::string& password);
// Empty when the target cannot be encoded (domain too long).
std::vector<std::uint8_t> encode_socks5_request(Socks5Command command, const HostPort& target);

class Socks5Handshake : public std::enable_shared_from_this<Socks5Handshake> {
  public:
    // Runs exactly once, never inline from start() or cancel(). Success: error empty,
    // `socket` ready to relay (CONNECT) or to hold the association (UDP ASSOCIATE), `bound`
    // is BND.ADDR/BND.PORT. Failure: `socket` closed, `reason` says why ("authentication
    // failed", "reply 5 (connection refused)", "malformed reply: bad version 4", "proxy
    // closed the connection", "timed out").
    using Handler =
        std::function<void(boost::system::error_code error, boost::asio::ip::tcp::socket socket,
                           HostPort bound, std::string reason)>;

    static std::shared_ptr<Socks5Handshake> create(boost::asio::ip::tcp::socket socket,
                                                   Socks5Request request,
                                                   std::chrono::milliseconds deadline);

    void start(Handler handler);
    // The handler runs with operation_aborted; a no-op once the handler has been scheduled.
    void cancel();

    struct PrivateTag {};
    Socks5Handshake(PrivateTag, boost::asio::ip::tcp::socket socket, Socks5Request request,
                    std::chrono::milliseconds deadline);

  private:
    enum class State { idle, greeting, authenticating, requesting, finished };

    void do_greeting();
    void on_method_reply(boost::system::error_code error, std::size_t read);
    void do_password_auth();
    void on_auth_reply(boost::system::error_code error, std::size_t read);
    void do_request();
    void on_reply_head(boost::system::error_code error, std::size_t read);
    void on_domain_length(boost::system::error_code error, std::size_t read);
    void on_reply_address(boost::system::error_code error, std::size_t read);
    void on_deadline(boost::system::error_code error);

    // Writes `message_`, then reads `size` bytes into `in_` and calls `next`.
    void write_then_read(std::size_t size,
                         void (Socks5Handshake::*next)(boost::system::error_code, std::size_t));
    void read_exactly(std::size_t size,
                      void (Socks5Handshake::*next)(boost::system::error_code, std::size_t));
    // Turns a failed read into the reason: EOF before the first byte of a reply is the proxy
    // closing, EOF after some bytes is a truncated reply. `mid_reply`: earlier reads already
    // took bytes of this reply (the CONNECT reply is read in up to three parts).
    bool read_failed(boost::system::error_code error, std::size_t read, std::size_t expected,
                     const char* what, bool mid_reply = false);
    void fail(boost::system::error_code error, std::string reason);
    void finish(boost::system::error_code error, HostPort bound, std::string reason);

    boost::asio::ip::tcp::socket socket_;
    Socks5Request request_;
    std::chrono::milliseconds deadline_;
    boost::asio::steady_timer deadline_timer_;
    State state_ = State::idle;
    bool timed_out_ = false;
    bool cancelled_ = false;
    std::vector<std::uint8_t> message_;
    std::vector<std::uint8_t> in_;
    std::vector<std::uint8_t> reply_address_;  // ATYP onwards, for decode_socks5_address
    Handler handler_;
};

}  // namespace shunt::outbound

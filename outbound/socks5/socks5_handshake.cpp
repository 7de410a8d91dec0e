#include "outbound/socks5/socks5_handshake.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace shunt::outbound {

namespace {

constexpr std::uint8_t kVersion = 5;
constexpr std::uint8_t kMethodNone = 0x00;
constexpr std::uint8_t kMethodPassword = 0x02;
constexpr std::uint8_t kMethodNoAcceptable = 0xff;
constexpr std::uint8_t kPasswordAuthVersion = 1;

}  // namespace

std::vector<std::uint8_t> encode_socks5_greeting(bool offer_password) {
    if (offer_password) return {kVersion, 2, kMethodNone, kMethodPassword};
    return {kVersion, 1, kMethodNone};
}

std::vector<std::uint8_t> encode_socks5_password_auth(const std::string& username,
                                                      const std::string& password) {
    if (username.size() > 255 || password.size() > 255) return {};
    std::vector<std::uint8_t> out{kPasswordAuthVersion, static_cast<std::uint8_t>(username.size())};
    out.insert(out.end(), username.begin(), username.end());
    out.push_back(static_cast<std::uint8_t>(password.size()));
    out.insert(out.end(), password.begin(), password.end());
    return out;
}

std::vector<std::uint8_t> encode_socks5_request(Socks5Command command, const HostPort& target) {
    std::vector<std::uint8_t> out{kVersion, static_cast<std::uint8_t>(command), 0};
    if (!append_socks5_address(target, out)) return {};
    return out;
}

std::shared_ptr<Socks5Handshake> Socks5Handshake::create(boost::asio::ip::tcp::socket socket,
                                                         Socks5Request request,
                                                         std::chrono::milliseconds deadline) {
    return std::make_shared<Socks5Handshake>(PrivateTag{}, std::move(socket), std::move(request),
                                             deadline);
}

Socks5Handshake::Socks5Handshake(PrivateTag, boost::asio::ip::tcp::socket socket,
                                 Socks5Request request, std::chrono::milliseconds deadline)
    : socket_(std::move(socket)),
      request_(std::move(request)),
      deadline_(deadline),
      deadline_timer_(socket_.get_executor()) {}

void Socks5Handshake::start(Handler handler) {
    if (state_ != State::idle) return;
    handler_ = std::move(handler);
    if (cancelled_) {
        fail(boost::asio::error::operation_aborted, "cancelled");
        return;
    }
    deadline_timer_.expires_after(deadline_);
    deadline_timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code error) { self->on_deadline(error); });
    do_greeting();
}

void Socks5Handshake::cancel() {
    if (state_ == State::finished) return;
    cancelled_ = true;
    boost::system::error_code ignored;
    // Closing aborts the pending read or write; its handler reports the cancel.
    socket_.close(ignored);
}

void Socks5Handshake::on_deadline(boost::system::error_code error) {
    if (error || state_ == State::finished) return;
    timed_out_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
}

void Socks5Handshake::write_then_read(std::size_t size,
                                      void (Socks5Handshake::*next)(boost::system::error_code,
                                                                    std::size_t)) {
    boost::asio::async_write(
        socket_, boost::asio::buffer(message_),
        [self = shared_from_this(), size, next](boost::system::error_code error, std::size_t) {
            if (error) {
                self->fail(error, std::string("send: ") + error.message());
                return;
            }
            self->read_exactly(size, next);
        });
}

void Socks5Handshake::read_exactly(std::size_t size,
                                   void (Socks5Handshake::*next)(boost::system::error_code,
                                                                 std::size_t)) {
    in_.assign(size, 0);
    boost::asio::async_read(
        socket_, boost::asio::buffer(in_),
        [self = shared_from_this(), next](boost::system::error_code error, std::size_t read) {
            ((*self).*next)(error, read);
        });
}

bool Socks5Handshake::read_failed(boost::system::error_code error, std::size_t read,
                                  std::size_t expected, const char* what, bool mid_reply) {
    if (!error) return false;
    if (error == boost::asio::error::eof) {
        // Only EOF where a reply should begin is the proxy closing. EOF right after the
        // reply's head (a proxy that says "succeeded" and hangs up before the address) is a
        // truncated reply, though this read got nothing.
        if (read == 0 && !mid_reply) {
            fail(Socks5Errc::proxy_closed, "proxy closed the connection");
        } else {
            fail(Socks5Errc::malformed_reply, std::string("malformed reply: truncated ") + what +
                                                  " (" + std::to_string(read) + " of " +
                                                  std::to_string(expected) + " bytes)");
        }
        return true;
    }
    fail(error, std::string("read ") + what + ": " + error.message());
    return true;
}

void Socks5Handshake::do_greeting() {
    state_ = State::greeting;
    message_ = encode_socks5_greeting(!request_.username.empty());
    write_then_read(2, &Socks5Handshake::on_method_reply);
}

void Socks5Handshake::on_method_reply(boost::system::error_code error, std::size_t read) {
    if (read_failed(error, read, 2, "method reply")) return;
    if (in_[0] != kVersion) {
        fail(Socks5Errc::malformed_reply, "malformed reply: bad version " + std::to_string(in_[0]));
        return;
    }
    const std::uint8_t method = in_[1];
    if (method == kMethodNone) {
        do_request();
    } else if (method == kMethodPassword && !request_.username.empty()) {
        do_password_auth();
    } else if (method == kMethodNoAcceptable) {
        fail(Socks5Errc::no_acceptable_method, "no acceptable authentication method");
    } else {
        // A method we did not offer.
        fail(Socks5Errc::malformed_reply,
             "malformed reply: method " + std::to_string(method) + " was not offered");
    }
}

void Socks5Handshake::do_password_auth() {
    state_ = State::authenticating;
    message_ = encode_socks5_password_auth(request_.username, request_.password);
    if (message_.empty()) {
        fail(Socks5Errc::invalid_request, "username or password longer than 255 bytes");
        return;
    }
    write_then_read(2, &Socks5Handshake::on_auth_reply);
}

void Socks5Handshake::on_auth_reply(boost::system::error_code error, std::size_t read) {
    if (read_failed(error, read, 2, "authentication reply")) return;
    // The version byte is not checked: some servers answer 5 instead of RFC 1929's 1; the
    // status alone decides.
    if (in_[1] != 0) {
        fail(Socks5Errc::authentication_failed, "authentication failed");
        return;
    }
    do_request();
}

void Socks5Handshake::do_request() {
    state_ = State::requesting;
    message_ = encode_socks5_request(request_.command, request_.target);
    if (message_.empty()) {
        fail(Socks5Errc::invalid_request, "domain name longer than 255 bytes");
        return;
    }
    // VER REP RSV ATYP, then the address (its size depends on ATYP).
    write_then_read(4, &Socks5Handshake::on_reply_head);
}

void Socks5Handshake::on_reply_head(boost::system::error_code error, std::size_t read) {
    if (read_failed(error, read, 4, "reply")) return;
    if (in_[0] != kVersion) {
        fail(Socks5Errc::malformed_reply, "malformed reply: bad version " + std::to_string(in_[0]));
        return;
    }
    if (in_[1] != 0) {
        fail(socks5_reply_error(in_[1]), socks5_reply_reason(in_[1]));
        return;
    }
    const std::uint8_t atyp = in_[3];
    if (atyp == static_cast<std::uint8_t>(AddressType::domain)) {
        // The length byte first, then exactly the name and the port.
        read_exactly(1, &Socks5Handshake::on_domain_length);
        return;
    }
    const auto body = socks5_address_body_size(atyp, 0);
    if (!body) {
        fail(Socks5Errc::malformed_reply,
             "malformed reply: bad address type " + std::to_string(atyp));
        return;
    }
    reply_address_.assign(1, atyp);
    read_exactly(*body, &Socks5Handshake::on_reply_address);
}

void Socks5Handshake::on_domain_length(boost::system::error_code error, std::size_t read) {
    if (read_failed(error, read, 1, "reply address", true)) return;
    reply_address_ = {static_cast<std::uint8_t>(AddressType::domain), in_[0]};
    read_exactly(std::size_t{in_[0]} + 2, &Socks5Handshake::on_reply_address);
}

void Socks5Handshake::on_reply_address(boost::system::error_code error, std::size_t read) {
    if (read_failed(error, read, in_.size(), "reply address", true)) return;
    reply_address_.insert(reply_address_.end(), in_.begin(), in_.end());
    const auto decoded = decode_socks5_address(reply_address_);
    if (!decoded) {
        fail(Socks5Errc::malformed_reply, "malformed reply: bad bound address");
        return;
    }
    finish({}, decoded->address, {});
}

void Socks5Handshake::fail(boost::system::error_code error, std::string reason) {
    if (timed_out_) {
        error = boost::asio::error::timed_out;
        reason = "timed out";
    } else if (cancelled_) {
        error = boost::asio::error::operation_aborted;
        reason = "cancelled";
    }
    boost::system::error_code ignored;
    socket_.close(ignored);
    finish(error, {}, std::move(reason));
}

void Socks5Handshake::finish(boost::system::error_code error, HostPort bound, std::string reason) {
    if (state_ == State::finished) return;
    state_ = State::finished;
    deadline_timer_.cancel();
    // Posted: start() and cancel() never run the handler inline, whatever path got here.
    boost::asio::post(
        socket_.get_executor(), [self = shared_from_this(), error, bound = std::move(bound),
                                 reason = std::move(reason)]() mutable {
            auto handler = std::move(self->handler_);
            handler(error, std::move(self->socket_), std::move(bound), std::move(reason));
        });
}

}  // namespace shunt::outbound

#include "outbound/socks5/socks5_proxy_dial.hpp"

#include <boost/asio/post.hpp>

namespace shunt::outbound {

std::shared_ptr<Socks5ProxyDial> Socks5ProxyDial::create(
    boost::asio::any_io_executor executor, std::shared_ptr<const Socks5Options> options,
    AddressLookup lookup) {
    return std::make_shared<Socks5ProxyDial>(PrivateTag{}, std::move(executor), std::move(options),
                                             std::move(lookup));
}

Socks5ProxyDial::Socks5ProxyDial(PrivateTag, boost::asio::any_io_executor executor,
                                 std::shared_ptr<const Socks5Options> options, AddressLookup lookup)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      lookup_(std::move(lookup)),
      deadline_timer_(executor_) {}

void Socks5ProxyDial::start(Socks5Request request, Handler handler) {
    if (state_ != State::idle) return;
    handler_ = std::move(handler);
    request_ = std::move(request);
    request_.username = options_->username;
    request_.password = options_->password;
    deadline_at_ = std::chrono::steady_clock::now() + options_->connect_timeout;
    deadline_timer_.expires_at(deadline_at_);
    deadline_timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code error) { self->on_deadline(error); });

    state_ = State::resolving;
    if (const auto literal = IpAddress::parse(options_->server)) {
        on_resolved({}, {*literal});
        return;
    }
    if (!lookup_) {
        finish(boost::asio::error::host_not_found, boost::asio::ip::tcp::socket(executor_), {},
               "resolve " + options_->server + ": no resolver");
        return;
    }
    // The lookup may answer inline or much later (or after the deadline): on_resolved checks.
    lookup_(options_->server, [self = shared_from_this()](const boost::system::error_code& error,
                                                          std::vector<IpAddress> addresses) {
        self->on_resolved(error, std::move(addresses));
    });
}

void Socks5ProxyDial::cancel() {
    if (state_ == State::finished) return;
    if (dialer_) dialer_->cancel();
    if (handshake_) handshake_->cancel();
    finish(boost::asio::error::operation_aborted, boost::asio::ip::tcp::socket(executor_), {},
           "cancelled");
}

std::chrono::milliseconds Socks5ProxyDial::remaining() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_at_ - std::chrono::steady_clock::now());
    return std::max(left, std::chrono::milliseconds(1));
}

void Socks5ProxyDial::on_resolved(boost::system::error_code error,
                                  std::vector<IpAddress> addresses) {
    if (state_ != State::resolving) return;
    if (!error && addresses.empty()) error = boost::asio::error::host_not_found;
    if (error) {
        finish(error, boost::asio::ip::tcp::socket(executor_), {},
               "resolve " + options_->server + ": " + error.message());
        return;
    }
    state_ = State::dialing;
    dialer_ = HappyEyeballsDialer::create(
        executor_,
        HappyEyeballsOptions{.deadline = remaining(), .routing_mark = options_->routing_mark});
    dialer_->start(std::move(addresses), options_->port,
                   [self = shared_from_this()](boost::system::error_code error,
                                               boost::asio::ip::tcp::socket socket,
                                               IpAddress address, std::string reason) {
                       self->on_dialed(error, std::move(socket), address, std::move(reason));
                   });
}

void Socks5ProxyDial::on_dialed(boost::system::error_code error,
                                boost::asio::ip::tcp::socket socket, IpAddress address,
                                std::string reason) {
    if (state_ != State::dialing) return;
    dialer_.reset();
    if (error) {
        finish(error, std::move(socket), {}, std::move(reason));
        return;
    }
    state_ = State::handshaking;
    proxy_ = address;
    handshake_ = Socks5Handshake::create(std::move(socket), request_, remaining());
    handshake_->start([self = shared_from_this()](boost::system::error_code error,
                                                  boost::asio::ip::tcp::socket socket,
                                                  HostPort bound, std::string reason) {
        self->on_handshake(error, std::move(socket), std::move(bound), std::move(reason));
    });
}

void Socks5ProxyDial::on_handshake(boost::system::error_code error,
                                   boost::asio::ip::tcp::socket socket, HostPort bound,
                                   std::string reason) {
    if (state_ != State::handshaking) return;
    handshake_.reset();
    finish(error, std::move(socket), std::move(bound), std::move(reason));
}

void Socks5ProxyDial::on_deadline(boost::system::error_code error) {
    if (error || state_ == State::finished) return;
    if (dialer_) dialer_->cancel();
    if (handshake_) handshake_->cancel();
    finish(boost::asio::error::timed_out, boost::asio::ip::tcp::socket(executor_), {}, "timed out");
}

void Socks5ProxyDial::finish(boost::system::error_code error, boost::asio::ip::tcp::socket socket,
                             HostPort bound, std::string reason) {
    if (state_ == State::finished) return;
    state_ = State::finished;
    deadline_timer_.cancel();
    boost::asio::post(executor_, [self = shared_from_this(), error, socket = std::move(socket),
                                  bound = std::move(bound), reason = std::move(reason)]() mutable {
        auto handler = std::move(self->handler_);
        handler(error, std::move(socket), std::move(bound), self->proxy_, std::move(reason));
    });
}

}  // namespace shunt::outbound

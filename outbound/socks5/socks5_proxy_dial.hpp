// Reaching a SOCKS5 proxy and completing one request on it: resolve the server (when it is
// given by name), dial it (HappyEyeballsDialer, routing-marked), run the handshake. One
// deadline, options.connect_timeout, covers all three. Used by the CONNECT path and by the
// UDP ASSOCIATE control connection alike.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "net/happy_eyeballs_dialer.hpp"
#include "outbound/outbound.hpp"
#include "outbound/socks5/socks5_handshake.hpp"
#include "outbound/socks5/socks5_options.hpp"

namespace shunt::outbound {

class Socks5ProxyDial : public std::enable_shared_from_this<Socks5ProxyDial> {
  public:
    // Exactly once, posted. Success: `socket` is past the handshake, `bound` is the reply's
    // BND address, `proxy` is the proxy address that answered. Failure: `reason` without the
    // "socks5 NAME" prefix ("connect 127.0.0.1:1080: Connection refused", "authentication
    // failed", "timed out").
    using Handler =
        std::function<void(boost::system::error_code error, boost::asio::ip::tcp::socket socket,
                           HostPort bound, IpAddress proxy, std::string reason)>;

    static std::shared_ptr<Socks5ProxyDial> create(boost::asio::any_io_executor executor,
                                                   std::shared_ptr<const Socks5Options> options,
                                                   AddressLookup lookup);

    // Fills in the credentials from the options.
    void start(Socks5Request request, Handler handler);
    // The handler runs with operation_aborted (unless already scheduled).
    void cancel();

    struct PrivateTag {};
    Socks5ProxyDial(PrivateTag, boost::asio::any_io_executor executor,
                    std::shared_ptr<const Socks5Options> options, AddressLookup lookup);

  private:
    enum class State { idle, resolving, dialing, handshaking, finished };

    void on_resolved(boost::system::error_code error, std::vector<IpAddress> addresses);
    void on_dialed(boost::system::error_code error, boost::asio::ip::tcp::socket socket,
                   IpAddress address, std::string reason);
    void on_handshake(boost::system::error_code error, boost::asio::ip::tcp::socket socket,
                      HostPort bound, std::string reason);
    void on_deadline(boost::system::error_code error);
    std::chrono::milliseconds remaining() const;
    void finish(boost::system::error_code error, boost::asio::ip::tcp::socket socket,
                HostPort bound, std::string reason);

    boost::asio::any_io_executor executor_;
    std::shared_ptr<const Socks5Options> options_;
    AddressLookup lookup_;
    State state_ = State::idle;
    Socks5Request request_;
    std::chrono::steady_clock::time_point deadline_at_;
    boost::asio::steady_timer deadline_timer_;
    std::shared_ptr<HappyEyeballsDialer> dialer_;
    std::shared_ptr<Socks5Handshake> handshake_;
    IpAddress proxy_;
    Handler handler_;
};

}  // namespace shunt::outbound

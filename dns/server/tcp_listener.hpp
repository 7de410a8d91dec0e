// Accepts DNS-over-TCP clients on one address, up to max_tcp_clients at once; past the
// cap a new connection is closed at once (with a rate-limited log line), so a flood of
// idle connections cannot exhaust file descriptors.
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>

#include "dns/server/query_handler.hpp"
#include "net/accept_retry.hpp"
#include "net/ip_address.hpp"

namespace shunt::dns {

class TcpListener : public std::enable_shared_from_this<TcpListener> {
  public:
    // Binds at once; throws std::system_error naming the endpoint when it cannot.
    TcpListener(boost::asio::any_io_executor executor, const Endpoint& endpoint,
                QueryHandler& handler, std::chrono::milliseconds idle_timeout,
                std::size_t max_clients);
    ~TcpListener();

    void start() { do_accept(); }
    // A reload's limits: the cap holds for new clients, the idle timeout for new sessions.
    void set_limits(std::chrono::milliseconds idle_timeout, std::size_t max_clients) {
        idle_timeout_ = idle_timeout;
        max_clients_ = max_clients;
    }
    void close();  // idempotent; clients already connected finish their queries
    std::size_t clients() const { return *clients_; }
    const Endpoint& endpoint() const { return endpoint_; }

  private:
    void do_accept();
    void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);

    Endpoint endpoint_;
    boost::asio::ip::tcp::acceptor acceptor_;
    AcceptRetry accept_retry_;
    QueryHandler& handler_;
    std::chrono::milliseconds idle_timeout_;
    std::size_t max_clients_;
    // Shared with sessions, which may outlive the listener during a reload.
    std::shared_ptr<std::size_t> clients_ = std::make_shared<std::size_t>(0);
    std::chrono::steady_clock::time_point last_cap_log_{};
    bool closed_ = false;
};

}  // namespace shunt::dns

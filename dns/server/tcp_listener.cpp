#include "dns/server/tcp_listener.hpp"

#include <system_error>

#include <spdlog/spdlog.h>

#include "net/asio_address.hpp"

#include "dns/server/tcp_session.hpp"

namespace shunt::dns {

TcpListener::TcpListener(boost::asio::any_io_executor executor, const Endpoint& endpoint,
                         QueryHandler& handler, std::chrono::milliseconds idle_timeout,
                         std::size_t max_clients)
    : endpoint_(endpoint),
      acceptor_(executor),
      accept_retry_(executor, "dns: tcp " + endpoint.to_string()),
      handler_(handler),
      idle_timeout_(idle_timeout),
      max_clients_(max_clients) {
    boost::asio::ip::tcp::endpoint asio_endpoint(to_asio_address(endpoint.address), endpoint.port);
    boost::system::error_code ec;
    acceptor_.open(asio_endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
    if (!ec && endpoint.address.is_v6()) acceptor_.set_option(boost::asio::ip::v6_only(true), ec);
    if (!ec) acceptor_.bind(asio_endpoint, ec);
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::system_error(ec.value(), std::generic_category(),
                                "dns: cannot listen on tcp " + endpoint.to_string());
}

TcpListener::~TcpListener() {
    close();
}

void TcpListener::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
}

void TcpListener::do_accept() {
    acceptor_.async_accept([self = shared_from_this()](const boost::system::error_code& ec,
                                                       boost::asio::ip::tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
    });
}

void TcpListener::on_accept(const boost::system::error_code& ec,
                            boost::asio::ip::tcp::socket socket) {
    if (closed_ || ec == boost::asio::error::operation_aborted) return;
    if (ec) {
        return accept_retry_.after_error(ec, [self = shared_from_this()] {
            if (!self->closed_) self->do_accept();
        });
    }
    if (*clients_ >= max_clients_) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_cap_log_ > std::chrono::seconds(10)) {
            last_cap_log_ = now;
            spdlog::warn("dns: tcp {}: {} clients connected (max_tcp_clients), refusing new ones",
                         endpoint_.to_string(), *clients_);
        }
        boost::system::error_code ignored;
        socket.close(ignored);
        return do_accept();
    }
    ++*clients_;
    auto session = std::make_shared<TcpSession>(std::move(socket), handler_, idle_timeout_,
                                                [clients = clients_] { --*clients; });
    session->start();
    do_accept();
}

}  // namespace shunt::dns

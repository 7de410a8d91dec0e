#include "api/api_server.hpp"

#include <system_error>

#include <spdlog/spdlog.h>

#include "net/asio_address.hpp"

namespace shunt::api {

using boost::asio::ip::tcp;

ApiServer::ApiServer(boost::asio::any_io_executor executor, ApiServerOptions options,
                     ApiRouter router)
    : executor_(std::move(executor)),
      listen_(std::move(options.listen)),
      context_(std::make_shared<ApiContext>()) {
    context_->guard = std::move(options.guard);
    context_->limits = options.limits;
    context_->router = std::move(router);
}

ApiServer::~ApiServer() {
    stop();
}

void ApiServer::start() {
    for (const auto& endpoint : listen_) {
        auto acceptor = std::make_unique<tcp::acceptor>(executor_);
        const tcp::endpoint at(to_asio_address(endpoint.address), endpoint.port);
        boost::system::error_code ec;
        acceptor->open(at.protocol(), ec);
        if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor->bind(at, ec);
        if (!ec) acceptor->listen(boost::asio::socket_base::max_listen_connections, ec);
        if (ec) throw std::system_error(ec, "api: cannot listen on " + endpoint.to_string());
        spdlog::info("api: listening on {}", endpoint.to_string());
        acceptors_.push_back(std::move(acceptor));
    }
    for (auto& acceptor : acceptors_) do_accept(*acceptor);
}

void ApiServer::do_accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](const boost::system::error_code& ec,
                                            tcp::socket socket) {
        if (ec == boost::asio::error::operation_aborted || stopped_) return;
        if (!ec) {
            if (context_->open >= context_->limits.max_connections) {
                if (auto skipped = refusal_log_.admit())
                    spdlog::warn("api: {} connections open: closing a new one{}", context_->open,
                                 *skipped == 0 ? std::string()
                                               : " (" + std::to_string(*skipped) + " more since)");
                boost::system::error_code ignored;
                socket.close(ignored);
            } else {
                auto session = std::make_shared<ApiSession>(std::move(socket), context_);
                context_->sessions.remove_if([](const auto& weak) { return weak.expired(); });
                context_->sessions.push_back(session);
                session->start();
            }
        }
        do_accept(acceptor);
    });
}

void ApiServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& acceptor : acceptors_) {
        boost::system::error_code ignored;
        acceptor->close(ignored);
    }
    auto sessions = std::move(context_->sessions);
    for (auto& weak : sessions)
        if (auto session = weak.lock()) session->close("shutdown");
}

std::vector<Endpoint> ApiServer::local_endpoints() const {
    std::vector<Endpoint> out;
    for (const auto& acceptor : acceptors_) {
        boost::system::error_code ec;
        const auto at = acceptor->local_endpoint(ec);
        if (!ec) out.push_back({from_asio_address(at.address()), at.port()});
    }
    return out;
}

}  // namespace shunt::api

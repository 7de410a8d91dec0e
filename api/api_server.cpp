#include "api/api_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>

#include <spdlog/spdlog.h>

#include "net/asio_address.hpp"

namespace shunt::api {

using boost::asio::ip::tcp;

ApiServer::ApiServer(boost::asio::any_io_executor executor, ApiServerOptions options,
                     ApiRouter router)
    : executor_(std::move(executor)),
      listen_(std::move(options.listen)),
      unix_path_(std::move(options.unix_path)),
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
        accept_retries_.push_back(
            std::make_unique<AcceptRetry>(executor_, "api: " + endpoint.to_string()));
    }
    if (!unix_path_.empty()) listen_unix();
    for (std::size_t i = 0; i < acceptors_.size(); ++i) do_accept(i);
    if (unix_acceptor_) do_accept_unix();
}

void ApiServer::listen_unix() {
    struct stat info {};
    if (::lstat(unix_path_.c_str(), &info) == 0) {
        // A socket left by an earlier run is ours to replace; anything else is not.
        if (!S_ISSOCK(info.st_mode))
            throw std::runtime_error("api: " + unix_path_ + " exists and is not a socket");
        ::unlink(unix_path_.c_str());
    }
    using local = boost::asio::local::stream_protocol;
    unix_acceptor_ = std::make_unique<local::acceptor>(executor_);
    boost::system::error_code ec;
    unix_acceptor_->open(local(), ec);
    // Created with 0660 from the start: no moment in which others could connect.
    const mode_t old_mask = ::umask(0117);
    if (!ec) unix_acceptor_->bind(local::endpoint(unix_path_), ec);
    ::umask(old_mask);
    if (!ec) unix_acceptor_->listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) {
        unix_acceptor_.reset();
        throw std::system_error(ec, "api: cannot listen on " + unix_path_);
    }
    unix_accept_retry_ = std::make_unique<AcceptRetry>(executor_, "api: " + unix_path_);
    spdlog::info("api: listening on unix socket {}", unix_path_);
}

void ApiServer::do_accept_unix() {
    unix_acceptor_->async_accept([this](const boost::system::error_code& ec,
                                        boost::asio::local::stream_protocol::socket socket) {
        if (ec == boost::asio::error::operation_aborted || stopped_) return;
        if (ec) return unix_accept_retry_->after_error(ec, [this] { do_accept_unix(); });
        if (admit()) {
            // A unix stream socket does for a session what a TCP one does (read, write,
            // shutdown, close): it is handed to the same session code as a tcp::socket
            // rather than instantiating every session class twice.
            boost::system::error_code assign_ec;
            tcp::socket as_stream(executor_);
            const int fd = socket.release(assign_ec);
            if (!assign_ec) as_stream.assign(tcp::v4(), fd, assign_ec);
            if (!assign_ec) start_session(std::move(as_stream), true);
        }
        do_accept_unix();
    });
}

bool ApiServer::admit() {
    if (context_->open < context_->limits.max_connections) return true;
    if (auto skipped = refusal_log_.admit())
        spdlog::warn(
            "api: {} connections open: closing a new one{}", context_->open,
            *skipped == 0 ? std::string() : " (" + std::to_string(*skipped) + " more since)");
    return false;
}

void ApiServer::start_session(tcp::socket socket, bool unix_socket) {
    auto session = std::make_shared<ApiSession>(std::move(socket), context_, unix_socket);
    context_->sessions.remove_if([](const auto& weak) { return weak.expired(); });
    context_->sessions.push_back(session);
    session->start();
}

void ApiServer::do_accept(std::size_t index) {
    acceptors_[index]->async_accept(
        [this, index](const boost::system::error_code& ec, tcp::socket socket) {
            if (ec == boost::asio::error::operation_aborted || stopped_) return;
            if (ec)
                return accept_retries_[index]->after_error(ec, [this, index] { do_accept(index); });
            if (admit()) start_session(std::move(socket), false);
            // else the socket closes as it goes out of scope
            do_accept(index);
        });
}

void ApiServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& acceptor : acceptors_) {
        boost::system::error_code ignored;
        acceptor->close(ignored);
    }
    for (auto& retry : accept_retries_) retry->cancel();
    if (unix_accept_retry_) unix_accept_retry_->cancel();
    if (unix_acceptor_) {
        boost::system::error_code ignored;
        unix_acceptor_->close(ignored);
        ::unlink(unix_path_.c_str());
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

// ApiServer: the control API's listeners (docs/api.md). Accepts HTTP connections on the
// configured TCP endpoints and the unix socket, at most limits.max_connections at a time
// (the next one is closed at once), and runs an ApiSession for each on the executor it
// was given. stop() closes the listeners and every open connection, and removes the
// socket file; it is idempotent.
#pragma once

#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "api/api_session.hpp"
#include "base/log_rate_limit.hpp"
#include "net/accept_retry.hpp"
#include "net/ip_address.hpp"

namespace shunt::api {

struct ApiServerOptions {
    std::vector<Endpoint> listen;
    // Also a unix socket here, mode 0660 ("" none). A stale socket file is replaced; any
    // other file there is an error. Its clients need no secret: the file mode guards it.
    std::string unix_path;
    GuardSettings guard;
    ApiLimits limits;
};

class ApiServer {
  public:
    ApiServer(boost::asio::any_io_executor executor, ApiServerOptions options, ApiRouter router);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    // Binds every endpoint; throws std::system_error naming the one that failed.
    void start();
    void stop();
    // New requests are checked with `guard` (a reload changed the secret or the origins).
    void set_guard(GuardSettings guard) { context_->guard = std::move(guard); }

    // The bound endpoints (port 0 picks one: tests).
    std::vector<Endpoint> local_endpoints() const;
    std::size_t connection_count() const { return context_->open; }

  private:
    void do_accept(std::size_t index);
    void listen_unix();
    void do_accept_unix();
    // Whether a new connection may open (else it is closed, and that logged now and then).
    bool admit();
    void start_session(boost::asio::ip::tcp::socket socket, bool unix_socket);

    boost::asio::any_io_executor executor_;
    std::vector<Endpoint> listen_;
    std::string unix_path_;
    std::shared_ptr<ApiContext> context_;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
    std::vector<std::unique_ptr<AcceptRetry>> accept_retries_;  // one per acceptors_ entry
    std::unique_ptr<boost::asio::local::stream_protocol::acceptor> unix_acceptor_;
    std::unique_ptr<AcceptRetry> unix_accept_retry_;
    LogRateLimit refusal_log_{std::chrono::seconds(10)};
    bool stopped_ = false;
};

}  // namespace shunt::api

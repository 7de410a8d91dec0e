// ApiSession: one HTTP/1.1 connection to the control API (Boost.Beast). It reads a
// request within deadlines (headers within header_timeout, the whole request within
// request_timeout: a client that sends a byte a second is cut off), caps the body (413),
// lets the guard decide (docs/api.md §1.3), routes, writes, and reads the next request
// while the client keeps the connection alive (idle_timeout). Every failure ends in
// close(reason), which is idempotent.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/api_router.hpp"
#include "api/request_guard.hpp"

namespace shunt::api {

struct ApiLimits {
    std::size_t max_body = 1024 * 1024;
    std::size_t max_header = 16 * 1024;
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds request_timeout{30'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::size_t max_connections = 64;
};

// A connection of the API: a request/response session or a stream it became.
class ApiConnection {
  public:
    virtual ~ApiConnection() = default;
    virtual void close(const char* reason) = 0;  // idempotent
};

// What the sessions of one server share.
struct ApiContext {
    GuardSettings guard;
    ApiLimits limits;
    ApiRouter router;
    std::list<std::weak_ptr<ApiConnection>> sessions;  // to close them on stop
    std::size_t open = 0;  // live connections, streams included (the cap counts them)
};

// What the guard reads of a parsed request (views into `message`).
RequestFacts request_facts(
    const boost::beast::http::request<boost::beast::http::string_body>& message);

class ApiSession final : public ApiConnection, public std::enable_shared_from_this<ApiSession> {
  public:
    // `unix_socket`: it came through [api] unix (no secret needed: the file mode guards it).
    ApiSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<ApiContext> context,
               bool unix_socket = false);
    ~ApiSession();
    ApiSession(const ApiSession&) = delete;
    ApiSession& operator=(const ApiSession&) = delete;

    void start();
    void close(const char* reason) override;

  private:
    enum class State : std::uint8_t {
        reading_header,
        reading_body,
        responding,  // an endpoint is working on the answer
        writing,
        lingering,
        closed
    };

    void do_read();
    void on_header(const boost::system::error_code& ec);
    void on_body(const boost::system::error_code& ec);
    void handle();
    void do_write(ApiResponse response, bool keep_alive);
    // The connection becomes a StreamSession sending `response.stream`.
    void hand_over(ApiResponse response, bool websocket);
    void on_write(const boost::system::error_code& ec, bool keep_alive);
    void linger();
    void drain();
    void fail(const boost::system::error_code& ec, const char* step);

    boost::beast::tcp_stream stream_;
    std::shared_ptr<ApiContext> context_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::shared_ptr<void> response_;  // the message being written (kept alive by it)
    State state_ = State::reading_header;
    bool first_request_ = true;
    bool unix_socket_ = false;
    std::array<char, 4096> discard_{};  // what a lingering client still sends
};

}  // namespace shunt::api

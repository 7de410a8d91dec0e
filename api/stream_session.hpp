// StreamSession: a streaming response — /traffic, /memory, /logs and /connections as
// dashboards subscribe to them (docs/api.md §3) — over a WebSocket (an upgrade request) or
// as chunked newline-delimited JSON. It takes the connection over from the ApiSession that
// routed the request and sends what its feed's queue holds, one write at a time: the queue
// is bounded and drops its oldest entries, so a slow client falls behind, never holds
// shunt back. A client that stops reading is closed: WebSocket pings unanswered for the
// idle timeout, or a chunk that cannot be written within the write timeout.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "api/api_session.hpp"
#include "api/message_queue.hpp"

namespace shunt::api {

class StreamSession final : public ApiConnection,
                            public std::enable_shared_from_this<StreamSession> {
  public:
    StreamSession(boost::beast::tcp_stream stream, std::shared_ptr<ApiContext> context,
                  StreamFeed feed);
    ~StreamSession() override;

    // Answers the upgrade, then sends every message as a text frame.
    void start_websocket(boost::beast::http::request<boost::beast::http::string_body> request);
    // Sends a 200 with chunked encoding and `headers`, then every message as a chunk.
    void start_chunked(std::vector<std::pair<std::string, std::string>> headers);
    void close(const char* reason) override;

  private:
    enum class Mode : std::uint8_t { websocket, chunked };
    enum class State : std::uint8_t { starting, streaming, closed };

    void on_started(const boost::system::error_code& ec);
    void arm_waker();
    void do_read();
    void do_write();
    void on_write(const boost::system::error_code& ec);
    void watch_writes();
    void fail(const boost::system::error_code& ec, const char* step);

    std::shared_ptr<ApiContext> context_;
    StreamFeed feed_;
    Mode mode_ = Mode::chunked;
    State state_ = State::starting;
    boost::beast::websocket::stream<boost::beast::tcp_stream> websocket_;
    boost::beast::flat_buffer read_buffer_;
    std::deque<std::string> pending_;
    std::string writing_;           // the message (or chunk) in flight
    std::shared_ptr<void> header_;  // the chunked response's header while it is written
    bool write_in_flight_ = false;
    std::chrono::steady_clock::time_point write_started_;
    boost::asio::steady_timer watchdog_;
};

}  // namespace shunt::api

// One DNS-over-TCP client (RFC 7766): length-prefixed queries, pipelined, answered in
// whatever order they complete. Every read has a deadline (a client that stalls
// mid-message is closed, never held forever); reading pauses while kMaxPipelined
// queries are at upstreams or answers wait for the client to read them
// (backpressure: memory per client is bounded), and close(reason) is idempotent.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dns/server/query_handler.hpp"

namespace shunt::dns {

class TcpSession : public std::enable_shared_from_this<TcpSession> {
  public:
    enum class State { reading_length, reading_body, paused, closed };

    TcpSession(boost::asio::ip::tcp::socket socket, QueryHandler& handler,
               std::chrono::milliseconds idle_timeout, std::function<void()> on_closed);

    void start() { do_read_length(); }
    void close(std::string_view reason);
    State state() const { return state_; }

  private:
    static constexpr std::size_t kMaxPipelined = 16;

    void arm_deadline();
    void do_read_length();
    void on_read_length(const boost::system::error_code& ec);
    void do_read_body(std::size_t length);
    void on_read_body(const boost::system::error_code& ec);
    void handle_query();
    void queue_response(std::span<const std::uint8_t> response);
    void do_write();
    void on_write(const boost::system::error_code& ec);
    void on_async_reply(std::vector<std::uint8_t> response);
    void fail(const boost::system::error_code& ec, std::string_view step);

    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer deadline_;
    QueryHandler& handler_;
    std::chrono::milliseconds idle_timeout_;
    std::function<void()> on_closed_;
    State state_ = State::reading_length;

    std::array<std::uint8_t, 2> length_{};
    std::vector<std::uint8_t> body_;
    std::vector<std::uint8_t> answer_;  // synchronous answers are written here first
    std::deque<std::vector<std::uint8_t>> write_queue_;  // length-prefixed responses
    bool writing_ = false;
    std::size_t pending_ = 0;  // forwarded queries not answered yet
};

}  // namespace shunt::dns

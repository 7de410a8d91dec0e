#include "dns/server/tcp_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "dns/wire/wire_format.hpp"

namespace shunt::dns {

TcpSession::TcpSession(boost::asio::ip::tcp::socket socket, QueryHandler& handler,
                       std::chrono::milliseconds idle_timeout, std::function<void()> on_closed)
    : socket_(std::move(socket)),
      deadline_(socket_.get_executor()),
      handler_(handler),
      idle_timeout_(idle_timeout),
      on_closed_(std::move(on_closed)) {}

void TcpSession::close(std::string_view reason) {
    if (state_ == State::closed) return;
    state_ = State::closed;
    spdlog::trace("dns: tcp client closed: {}", reason);
    boost::system::error_code ignored;
    deadline_.cancel();
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    write_queue_.clear();
    if (on_closed_) std::exchange(on_closed_, nullptr)();
}

void TcpSession::fail(const boost::system::error_code& ec, std::string_view step) {
    if (ec == boost::asio::error::operation_aborted) return;
    close(step);
}

// One deadline covers a whole message (length and body): a client sending a byte at a
// time cannot stretch it.
void TcpSession::arm_deadline() {
    deadline_.expires_after(idle_timeout_);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->close("read deadline");
    });
}

void TcpSession::do_read_length() {
    if (state_ == State::closed) return;
    // Backpressure: with too many queries at upstreams or too many answers the
    // client has not read yet, stop reading. The deadline still runs, so a client
    // that never reads its answers is closed instead of holding memory forever.
    if (pending_ + write_queue_.size() >= kMaxPipelined) {
        state_ = State::paused;  // resumed by on_async_reply or on_write
        arm_deadline();
        return;
    }
    state_ = State::reading_length;
    arm_deadline();
    boost::asio::async_read(socket_, boost::asio::buffer(length_),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        std::size_t) { self->on_read_length(ec); });
}

void TcpSession::on_read_length(const boost::system::error_code& ec) {
    if (ec) return fail(ec, ec == boost::asio::error::eof ? "client done" : "read length");
    std::size_t length = read_u16(length_.data());
    // Zero cannot carry a query; below a header nothing can be answered. Either way
    // the stream cannot be trusted to be in sync any more.
    if (length < kHeaderSize) return close("bad length prefix");
    do_read_body(length);
}

void TcpSession::do_read_body(std::size_t length) {
    state_ = State::reading_body;
    body_.resize(length);
    boost::asio::async_read(socket_, boost::asio::buffer(body_),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        std::size_t) { self->on_read_body(ec); });
}

void TcpSession::on_read_body(const boost::system::error_code& ec) {
    if (ec) return fail(ec, "read body");
    deadline_.cancel();
    handle_query();
    do_read_length();
}

void TcpSession::handle_query() {
    auto outcome = handler_.handle(body_, Transport::tcp, answer_, [this] {
        ++pending_;
        return QueryHandler::AsyncReply([self = shared_from_this()](std::vector<std::uint8_t> r) {
            self->on_async_reply(std::move(r));
        });
    });
    if (outcome == QueryHandler::Outcome::answered) {
        queue_response(answer_);
    } else if (outcome == QueryHandler::Outcome::dropped) {
        close("unanswerable message");
    }
}

void TcpSession::on_async_reply(std::vector<std::uint8_t> response) {
    --pending_;
    if (state_ == State::closed) return;
    if (!response.empty()) queue_response(response);
    if (state_ == State::paused) do_read_length();
}

void TcpSession::queue_response(std::span<const std::uint8_t> response) {
    if (state_ == State::closed || response.size() > 0xffff) return;
    std::vector<std::uint8_t> framed(response.size() + 2);
    write_u16(framed.data(), static_cast<std::uint16_t>(response.size()));
    std::copy(response.begin(), response.end(), framed.begin() + 2);
    write_queue_.push_back(std::move(framed));
    if (!writing_) do_write();
}

void TcpSession::do_write() {
    writing_ = true;
    boost::asio::async_write(socket_, boost::asio::buffer(write_queue_.front()),
                             [self = shared_from_this()](const boost::system::error_code& ec,
                                                         std::size_t) { self->on_write(ec); });
}

void TcpSession::on_write(const boost::system::error_code& ec) {
    writing_ = false;
    if (ec) return fail(ec, "write");
    if (state_ == State::closed) return;
    write_queue_.pop_front();
    if (!write_queue_.empty()) do_write();
    if (state_ == State::paused) do_read_length();
}

}  // namespace shunt::dns

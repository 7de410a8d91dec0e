#include "dns/upstream/stream_upstream.hpp"

#include <random>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "dns/upstream/message_check.hpp"
#include "dns/upstream/upstream_error.hpp"

namespace shunt::dns {

namespace {

// Servers drop idle connections after a few seconds anyway (unbound: 30 s, RFC 7766
// suggests seconds); closing ours first saves the server a half-open socket.
constexpr auto kIdleTimeout = std::chrono::seconds(10);
constexpr std::size_t kReadChunk = 16 * 1024;

using Clock = std::chrono::steady_clock;

boost::system::error_code stream_error(boost::system::error_code ec) {
    if (ec == boost::asio::error::eof) return UpstreamErrc::connection_closed;
    return ec;
}

}  // namespace

struct StreamUpstream::Pending {
    explicit Pending(const boost::asio::any_io_executor& executor) : timer(executor) {}
    std::vector<std::uint8_t> frame;  // 2-byte length, then the query carrying wire_id
    std::uint16_t client_id = 0;
    std::uint16_t wire_id = 0;
    Callback callback;
    boost::asio::steady_timer timer;
    bool written = false;  // handed to a connection's write
    bool retried = false;
    bool done = false;
    Clock::time_point written_at{};
    std::span<const std::uint8_t> query() const { return std::span(frame).subspan(2); }
};

struct StreamUpstream::Connection {
    enum class State { resolving, connecting, open };
    explicit Connection(const boost::asio::any_io_executor& executor) : connect_timer(executor) {}
    State state = State::resolving;
    std::shared_ptr<StreamTransport> transport;
    boost::asio::steady_timer connect_timer;
    std::vector<std::uint8_t> read_chunk = std::vector<std::uint8_t>(kReadChunk);
    std::vector<std::uint8_t> inbox;  // bytes received, not yet a complete frame
    std::vector<std::uint8_t> outbox;
    std::vector<PendingPtr> writing;  // the queries whose frames are in outbox
    Clock::time_point last_receive{};
};

StreamUpstream::StreamUpstream(boost::asio::any_io_executor executor, UpstreamSpec spec,
                               UpstreamOptions options, TransportFactory make_transport)
    : executor_(executor),
      spec_(std::move(spec)),
      options_(std::move(options)),
      make_transport_(std::move(make_transport)),
      target_(executor, spec_, options_),
      idle_timer_(executor) {}

StreamUpstream::~StreamUpstream() {
    // Pending queries keep the upstream alive through their timers, so none is left
    // here; only an idle connection may remain.
    if (connection_ && connection_->transport) connection_->transport->close();
    target_.close();
}

void StreamUpstream::query(std::span<const std::uint8_t> wire_query, Callback callback) {
    query_until(wire_query, Clock::now() + options_.timeout, std::move(callback));
}

void StreamUpstream::query_until(std::span<const std::uint8_t> wire_query,
                                 Clock::time_point deadline, Callback callback) {
    auto refuse = [&](boost::system::error_code ec) {
        boost::asio::post(executor_, [callback = std::move(callback), ec] { callback(ec, {}); });
    };
    if (closed_) return refuse(boost::asio::error::operation_aborted);
    if (!message::is_valid_query(wire_query) || wire_query.size() > 65535)
        return refuse(UpstreamErrc::malformed_query);
    if (in_flight_.size() > 65535) return refuse(UpstreamErrc::too_many_queries);

    auto pending = std::make_shared<Pending>(executor_);
    pending->client_id = message::id(wire_query);
    pending->wire_id = pick_wire_id();
    pending->callback = std::move(callback);
    pending->frame.reserve(wire_query.size() + 2);
    pending->frame.push_back(static_cast<std::uint8_t>(wire_query.size() >> 8));
    pending->frame.push_back(static_cast<std::uint8_t>(wire_query.size() & 0xff));
    pending->frame.insert(pending->frame.end(), wire_query.begin(), wire_query.end());
    message::set_id(std::span(pending->frame).subspan(2), pending->wire_id);
    pending->timer.expires_at(deadline);
    pending->timer.async_wait([self = shared_from_this(), pending](boost::system::error_code ec) {
        if (!ec) self->on_timeout(pending);
    });

    in_flight_.emplace(pending->wire_id, pending);
    write_queue_.push_back(pending);
    idle_timer_.cancel();
    if (!connection_) {
        connect();
    } else {
        pump_writes();
    }
}

void StreamUpstream::close() {
    closed_ = true;
    idle_timer_.cancel();
    target_.close();
    if (connection_) {
        if (connection_->transport) connection_->transport->close();
        connection_->connect_timer.cancel();
        connection_.reset();
    }
    std::vector<PendingPtr> aborted;
    for (auto& [id, pending] : in_flight_) aborted.push_back(pending);
    for (auto& pending : aborted) finish(pending, boost::asio::error::operation_aborted, {});
    write_queue_.clear();
}

std::uint16_t StreamUpstream::pick_wire_id() {
    static std::mt19937 generator{std::random_device{}()};
    while (true) {
        auto id = static_cast<std::uint16_t>(generator());
        if (!in_flight_.contains(id)) return id;
    }
}

void StreamUpstream::connect() {
    auto connection = std::make_shared<Connection>(executor_);
    connection_ = connection;
    std::weak_ptr<StreamUpstream> weak = shared_from_this();
    connection->connect_timer.expires_after(options_.timeout);
    connection->connect_timer.async_wait([weak, connection](boost::system::error_code ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        if (connection->state != Connection::State::open)
            self->connection_failed(connection, UpstreamErrc::timed_out);
    });
    target_.resolve([weak, connection](boost::system::error_code ec,
                                       std::vector<boost::asio::ip::tcp::endpoint> endpoints) {
        auto self = weak.lock();
        if (!self || connection != self->connection_) return;
        if (ec) return self->connection_failed(connection, ec);
        connection->state = Connection::State::connecting;
        connection->transport = self->make_transport_();
        connection->transport->async_connect(std::move(endpoints),
                                             [weak, connection](boost::system::error_code ec) {
                                                 if (auto self = weak.lock())
                                                     self->on_connected(connection, ec);
                                             });
    });
}

void StreamUpstream::on_connected(const ConnectionPtr& connection, boost::system::error_code ec) {
    if (connection != connection_) return;
    if (ec) return connection_failed(connection, ec);
    connection->state = Connection::State::open;
    connection->connect_timer.cancel();
    read_more(connection);
    pump_writes();
    arm_idle_timer();
}

void StreamUpstream::connection_failed(const ConnectionPtr& connection,
                                       boost::system::error_code ec) {
    if (connection != connection_) return;
    bool was_open = connection->state == Connection::State::open;
    if (connection->transport) connection->transport->close();
    connection->connect_timer.cancel();
    connection_.reset();
    spdlog::debug("dns upstream {}: connection {}: {}", spec_.text, was_open ? "lost" : "failed",
                  ec.message());

    if (!was_open) {
        // Nothing was sent: every waiting query learns why right away.
        std::vector<PendingPtr> waiting;
        for (auto& [id, pending] : in_flight_) waiting.push_back(pending);
        for (auto& pending : waiting) finish(pending, ec, {});
        write_queue_.clear();
        return;
    }
    std::deque<PendingPtr> requeue;
    std::vector<PendingPtr> lost;
    for (auto& [id, pending] : in_flight_) {
        if (!pending->written) continue;  // still in write_queue_
        if (pending->retried) {
            lost.push_back(pending);
        } else {
            pending->retried = true;
            pending->written = false;
            requeue.push_back(pending);
        }
    }
    for (auto& pending : lost) finish(pending, ec, {});
    for (auto& pending : write_queue_)
        if (!pending->done) requeue.push_back(pending);
    write_queue_ = std::move(requeue);
    if (!in_flight_.empty() && !closed_) connect();
}

void StreamUpstream::pump_writes() {
    auto connection = connection_;
    if (!connection || connection->state != Connection::State::open || !connection->writing.empty())
        return;
    // Every query waiting goes out in one write: pipelining without a syscall each.
    connection->outbox.clear();
    while (!write_queue_.empty()) {
        auto pending = std::move(write_queue_.front());
        write_queue_.pop_front();
        if (pending->done) continue;
        pending->written = true;
        pending->written_at = Clock::now();
        connection->outbox.insert(connection->outbox.end(), pending->frame.begin(),
                                  pending->frame.end());
        connection->writing.push_back(std::move(pending));
    }
    if (connection->writing.empty()) return;
    std::weak_ptr<StreamUpstream> weak = shared_from_this();
    connection->transport->async_write(
        boost::asio::buffer(connection->outbox),
        [weak, connection](boost::system::error_code ec, std::size_t) {
            connection->writing.clear();
            auto self = weak.lock();
            if (!self || connection != self->connection_) return;
            if (ec) return self->connection_failed(connection, stream_error(ec));
            self->pump_writes();
        });
}

void StreamUpstream::read_more(const ConnectionPtr& connection) {
    std::weak_ptr<StreamUpstream> weak = shared_from_this();
    connection->transport->async_read_some(
        boost::asio::buffer(connection->read_chunk),
        [weak, connection](boost::system::error_code ec, std::size_t n) {
            auto self = weak.lock();
            if (!self || connection != self->connection_) return;
            if (ec) return self->connection_failed(connection, stream_error(ec));
            connection->last_receive = Clock::now();
            auto& inbox = connection->inbox;
            inbox.insert(inbox.end(), connection->read_chunk.begin(),
                         connection->read_chunk.begin() + static_cast<std::ptrdiff_t>(n));
            std::size_t at = 0;
            while (inbox.size() - at >= 2) {
                std::size_t length = (inbox[at] << 8) | inbox[at + 1];
                if (inbox.size() - at - 2 < length) break;
                self->handle_answer(connection, std::span(inbox).subspan(at + 2, length));
                at += 2 + length;
                if (connection != self->connection_) return;  // handling closed it
            }
            inbox.erase(inbox.begin(), inbox.begin() + static_cast<std::ptrdiff_t>(at));
            self->read_more(connection);
        });
}

void StreamUpstream::handle_answer(const ConnectionPtr&, std::span<const std::uint8_t> answer) {
    auto found = in_flight_.find(message::id(answer));
    if (found == in_flight_.end() || !found->second->written) {
        // Most likely the late answer to a query that already timed out.
        spdlog::debug("dns upstream {}: answer with unknown id {} ignored", spec_.text,
                      message::id(answer));
        return;
    }
    auto pending = found->second;
    switch (message::check_answer(pending->query(), answer)) {
        case message::AnswerCheck::ok: {
            std::vector<std::uint8_t> response(answer.begin(), answer.end());
            message::set_id(response, pending->client_id);
            finish(pending, {}, std::move(response));
            break;
        }
        case message::AnswerCheck::mismatch:
            spdlog::debug("dns upstream {}: answer for another question ignored", spec_.text);
            break;
        case message::AnswerCheck::malformed:
            finish(pending, UpstreamErrc::malformed_answer, {});
            break;
    }
    arm_idle_timer();
}

void StreamUpstream::on_timeout(const PendingPtr& pending) {
    if (pending->done) return;
    finish(pending, UpstreamErrc::timed_out, {});
    // Silence since the query went out: the connection is probably dead (a NAT
    // dropped it, the server hangs). Start afresh rather than feed it more queries.
    auto connection = connection_;
    if (connection && connection->state == Connection::State::open && pending->written &&
        connection->last_receive < pending->written_at)
        connection_failed(connection, UpstreamErrc::timed_out);
}

void StreamUpstream::finish(const PendingPtr& pending, boost::system::error_code ec,
                            std::vector<std::uint8_t> response) {
    if (pending->done) return;
    pending->done = true;
    pending->timer.cancel();
    auto found = in_flight_.find(pending->wire_id);
    if (found != in_flight_.end() && found->second == pending) in_flight_.erase(found);
    // Posted, never called from here: the caller may query again from its callback,
    // and must find this object in a consistent state when it does.
    boost::asio::post(executor_, [callback = std::move(pending->callback), ec,
                                  response = std::move(response)]() mutable {
        callback(ec, std::move(response));
    });
}

void StreamUpstream::arm_idle_timer() {
    if (!in_flight_.empty() || !connection_ || connection_->state != Connection::State::open)
        return;
    std::weak_ptr<StreamUpstream> weak = shared_from_this();
    idle_timer_.expires_after(kIdleTimeout);
    idle_timer_.async_wait([weak, connection = connection_](boost::system::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || connection != self->connection_ || !self->in_flight_.empty()) return;
        connection->transport->close();
        self->connection_.reset();
    });
}

}  // namespace shunt::dns

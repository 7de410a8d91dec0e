#include "tests/support/delay_line.hpp"

#include <deque>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace shunt::test {

using boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// One direction: reads `from` without pause, queues each chunk with the time it may
// leave, and writes the queue to `to` in order as the chunks come due.
struct Direction : std::enable_shared_from_this<Direction> {
    Direction(std::shared_ptr<void> owner, tcp::socket& from, tcp::socket& to,
              std::chrono::milliseconds delay)
        : owner(std::move(owner)), from(from), to(to), delay(delay), timer(to.get_executor()) {}

    struct Chunk {
        Clock::time_point due;
        std::vector<std::uint8_t> bytes;  // empty: the sender's end (FIN)
    };
    std::shared_ptr<void> owner;  // the pair whose sockets these are
    tcp::socket& from;
    tcp::socket& to;
    std::chrono::milliseconds delay;
    boost::asio::steady_timer timer;
    std::deque<Chunk> queue;
    bool writing = false;

    void read() {
        auto buffer = std::make_shared<std::vector<std::uint8_t>>(64 * 1024);
        from.async_read_some(
            boost::asio::buffer(*buffer), [self = shared_from_this(), buffer](
                                              const boost::system::error_code& ec, std::size_t n) {
                buffer->resize(ec ? 0 : n);
                self->queue.push_back({Clock::now() + self->delay, std::move(*buffer)});
                if (!self->writing) self->write_next();
                if (!ec) self->read();
            });
    }
    void write_next() {
        if (queue.empty()) {
            writing = false;
            return;
        }
        writing = true;
        timer.expires_at(queue.front().due);
        timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec) return;
            auto& chunk = self->queue.front();
            if (chunk.bytes.empty()) {
                boost::system::error_code ignored;
                self->to.shutdown(tcp::socket::shutdown_send, ignored);
                self->queue.clear();
                self->writing = false;
                return;
            }
            boost::asio::async_write(
                self->to, boost::asio::buffer(chunk.bytes),
                [self](const boost::system::error_code& write_error, std::size_t) {
                    if (write_error) return;
                    self->queue.pop_front();
                    self->write_next();
                });
        });
    }
};

}  // namespace

struct DelayLine::Pair : std::enable_shared_from_this<Pair> {
    Pair(tcp::socket accepted, boost::asio::io_context& io)
        : client(std::move(accepted)), target(io) {}
    tcp::socket client;
    tcp::socket target;

    void start(const tcp::endpoint& to, std::chrono::milliseconds delay) {
        target.async_connect(
            to, [self = shared_from_this(), delay](const boost::system::error_code& ec) {
                if (ec) {
                    self->close();
                    return;
                }
                // Each direction holds the pair (its sockets) as long as it has work.
                std::make_shared<Direction>(self, self->client, self->target, delay)->read();
                std::make_shared<Direction>(self, self->target, self->client, delay)->read();
            });
    }
    void close() {
        boost::system::error_code ignored;
        client.close(ignored);
        target.close(ignored);
    }
};

DelayLine::DelayLine(boost::asio::io_context& io, tcp::endpoint target,
                     std::chrono::milliseconds one_way)
    : io_(io), acceptor_(io, {target.address(), 0}), target_(target), one_way_(one_way) {
    accept();
}

DelayLine::~DelayLine() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& weak : pairs_)
        if (auto pair = weak.lock()) pair->close();
}

void DelayLine::accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec) return;
        auto pair = std::make_shared<Pair>(std::move(socket), io_);
        pairs_.push_back(pair);
        pair->start(target_, one_way_);
        accept();
    });
}

}  // namespace shunt::test

#include "outbound/stream_relay.hpp"

#include <boost/asio/error.hpp>

namespace shunt::outbound {

namespace {

constexpr std::size_t kChunk = 64 * 1024;

}  // namespace

std::shared_ptr<StreamRelay> StreamRelay::start(std::unique_ptr<Stream> a,
                                                std::unique_ptr<Stream> b, DoneHandler done) {
    std::shared_ptr<StreamRelay> relay(
        new StreamRelay(std::move(a), std::move(b), std::move(done)));
    relay->pump(relay->ab_);
    relay->pump(relay->ba_);
    return relay;
}

StreamRelay::StreamRelay(std::unique_ptr<Stream> a, std::unique_ptr<Stream> b, DoneHandler done)
    : a_(std::move(a)), b_(std::move(b)), done_(std::move(done)) {
    ab_.from = a_.get();
    ab_.to = b_.get();
    ba_.from = b_.get();
    ba_.to = a_.get();
}

void StreamRelay::pump(Direction& d) {
    if (ended_ || d.finished) return;
    d.from->async_wait_readable(
        [self = shared_from_this(), &d](const boost::system::error_code& ec) {
            self->on_readable(d, ec);
        });
}

void StreamRelay::on_readable(Direction& d, const boost::system::error_code& wait_error) {
    if (ended_) return;
    if (wait_error) {
        finish(Outcome::aborted, wait_error.message());
        return;
    }
    if (d.buffer.empty()) d.buffer.resize(kChunk);
    boost::system::error_code ec;
    const std::size_t n = d.from->read_some(d.buffer, ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        pump(d);
        return;
    }
    if (ec == boost::asio::error::eof) {
        d.finished = true;
        d.buffer = {};
        d.to->shutdown_send();
        if (ab_.finished && ba_.finished) finish(Outcome::finished, "done");
        return;
    }
    if (ec) {
        finish(Outcome::aborted, ec.message());
        return;
    }
    d.to->async_write({boost::asio::buffer(d.buffer.data(), n)},
                      [self = shared_from_this(), &d](const boost::system::error_code& write_error,
                                                      std::size_t written) {
                          if (self->ended_) return;
                          if (write_error) {
                              self->finish(Outcome::aborted, write_error.message());
                              return;
                          }
                          d.bytes += written;
                          self->pump(d);
                      });
}

void StreamRelay::abort(const std::string& reason) {
    finish(Outcome::aborted, reason);
}

void StreamRelay::finish(Outcome outcome, const std::string& reason) {
    if (ended_) return;
    ended_ = true;
    const bool graceful = outcome == Outcome::finished;
    a_->close(graceful);
    b_->close(graceful);
    if (done_) {
        auto done = std::move(done_);
        done_ = nullptr;
        done(outcome, reason);
    }
}

}  // namespace shunt::outbound

#include "net/happy_eyeballs_dialer.hpp"

#include <algorithm>
#include <limits>

#include <boost/asio/post.hpp>

#include "net/asio_address.hpp"
#include "net/socket_options.hpp"

namespace shunt {

namespace {

constexpr std::size_t no_winner = std::numeric_limits<std::size_t>::max();

}  // namespace

std::shared_ptr<HappyEyeballsDialer> HappyEyeballsDialer::create(
    boost::asio::any_io_executor executor, HappyEyeballsOptions options) {
    return std::make_shared<HappyEyeballsDialer>(PrivateTag{}, std::move(executor), options);
}

HappyEyeballsDialer::HappyEyeballsDialer(PrivateTag, boost::asio::any_io_executor executor,
                                         HappyEyeballsOptions options)
    : executor_(executor), options_(options), attempt_timer_(executor), deadline_timer_(executor) {}

std::vector<IpAddress> HappyEyeballsDialer::order_candidates(
    const std::vector<IpAddress>& candidates) {
    std::vector<IpAddress> v6;
    std::vector<IpAddress> v4;
    for (const IpAddress& address : candidates) {
        auto& family = address.is_v6() ? v6 : v4;
        // Resolver answers are short (a handful of records): a linear scan beats a set.
        if (std::find(family.begin(), family.end(), address) == family.end()) {
            family.push_back(address);
        }
    }
    std::vector<IpAddress> ordered;
    ordered.reserve(v6.size() + v4.size());
    for (std::size_t i = 0; i < std::max(v6.size(), v4.size()); ++i) {
        if (i < v6.size()) ordered.push_back(v6[i]);
        if (i < v4.size()) ordered.push_back(v4[i]);
    }
    return ordered;
}

void HappyEyeballsDialer::start(std::vector<IpAddress> candidates, std::uint16_t port,
                                Handler handler) {
    // Cancelled before start (the caller asked for an abort), or started twice.
    if (state_ != State::idle) {
        const boost::system::error_code error = cancelled_before_start_
                                                    ? boost::asio::error::operation_aborted
                                                    : boost::asio::error::already_started;
        cancelled_before_start_ = false;
        boost::asio::post(executor_, [handler = std::move(handler), error,
                                      socket = boost::asio::ip::tcp::socket(executor_)]() mutable {
            handler(error, std::move(socket), IpAddress{}, "connect: " + error.message());
        });
        return;
    }
    state_ = State::dialing;
    candidates_ = order_candidates(candidates);
    port_ = port;
    handler_ = std::move(handler);
    if (candidates_.empty()) {
        fail(boost::asio::error::host_not_found, "connect: no addresses to try");
        return;
    }
    deadline_timer_.expires_after(options_.deadline);
    deadline_timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code error) { self->on_deadline(error); });
    do_next_attempt();
}

void HappyEyeballsDialer::cancel() {
    if (state_ == State::idle) {
        state_ = State::finished;
        cancelled_before_start_ = true;
        return;
    }
    if (state_ != State::dialing) return;
    finish(boost::asio::error::operation_aborted, no_winner, "connect cancelled");
}

void HappyEyeballsDialer::do_next_attempt() {
    while (next_candidate_ < candidates_.size()) {
        attempts_.push_back(std::make_unique<Attempt>(executor_, candidates_[next_candidate_++]));
        const std::size_t index = attempts_.size() - 1;
        Attempt& attempt = *attempts_[index];
        const boost::asio::ip::tcp::endpoint endpoint(to_asio_address(attempt.address), port_);

        boost::system::error_code error;
        attempt.socket.open(endpoint.protocol(), error);
        if (error) {
            // E.g. no IPv6 on this host: go straight to the next candidate.
            record_failure(attempt, "open", error);
            continue;
        }
        // The mark must be on before the SYN leaves, or the SYN itself is routed into the TUN.
        const SocketOptionStatus marked = apply_routing_mark(attempt.socket, options_.routing_mark);
        if (!marked.ok()) {
            record_failure(attempt, std::string(marked.step), marked.error);
            attempt.socket.close(error);
            continue;
        }
        attempt.in_flight = true;
        attempt.socket.async_connect(
            endpoint, [self = shared_from_this(), index](boost::system::error_code connect_error) {
                self->on_connect(index, connect_error);
            });
        arm_attempt_timer();
        return;
    }
    attempt_timer_.cancel();
    if (!attempts_in_flight()) fail(last_error_, "connect " + failures_);
}

void HappyEyeballsDialer::arm_attempt_timer() {
    ++attempt_timer_generation_;
    if (next_candidate_ >= candidates_.size()) {
        attempt_timer_.cancel();
        return;
    }
    attempt_timer_.expires_after(options_.attempt_delay);
    attempt_timer_.async_wait(
        [self = shared_from_this(), generation = attempt_timer_generation_](
            boost::system::error_code error) { self->on_attempt_timer(generation, error); });
}

void HappyEyeballsDialer::on_attempt_timer(std::uint64_t generation,
                                           boost::system::error_code error) {
    if (error || state_ != State::dialing || generation != attempt_timer_generation_) return;
    do_next_attempt();
}

void HappyEyeballsDialer::on_connect(std::size_t attempt_index, boost::system::error_code error) {
    // After finish() the losers complete with operation_aborted (their sockets were closed).
    if (state_ != State::dialing) return;
    Attempt& attempt = *attempts_[attempt_index];
    attempt.in_flight = false;
    if (!error) {
        const SocketOptionStatus nodelay = apply_tcp_nodelay(attempt.socket);
        if (nodelay.ok()) {
            finish({}, attempt_index, {});
            return;
        }
        record_failure(attempt, std::string(nodelay.step), nodelay.error);
    } else {
        record_failure(attempt, {}, error);
    }
    boost::system::error_code ignored;
    attempt.socket.close(ignored);
    // A failed attempt hands over at once instead of waiting out the attempt delay.
    do_next_attempt();
}

void HappyEyeballsDialer::on_deadline(boost::system::error_code error) {
    if (error || state_ != State::dialing) return;
    for (const auto& attempt : attempts_) {
        if (!attempt->in_flight) continue;
        if (!failures_.empty()) failures_ += "; ";
        failures_ += Endpoint{attempt->address, port_}.to_string() + ": timed out";
    }
    const std::size_t untried = candidates_.size() - next_candidate_;
    if (untried > 0) {
        if (!failures_.empty()) failures_ += "; ";
        failures_ += std::to_string(untried) + " more not tried";
    }
    fail(boost::asio::error::timed_out, "connect " + failures_);
}

void HappyEyeballsDialer::record_failure(const Attempt& attempt, const std::string& what,
                                         boost::system::error_code error) {
    if (!failures_.empty()) failures_ += "; ";
    failures_ += Endpoint{attempt.address, port_}.to_string() + ": ";
    if (!what.empty()) failures_ += what + ": ";
    failures_ += error.message();
    last_error_ = error;
}

bool HappyEyeballsDialer::attempts_in_flight() const {
    return std::any_of(attempts_.begin(), attempts_.end(),
                       [](const auto& attempt) { return attempt->in_flight; });
}

void HappyEyeballsDialer::fail(boost::system::error_code error, std::string reason) {
    finish(error, no_winner, std::move(reason));
}

void HappyEyeballsDialer::finish(boost::system::error_code error, std::size_t winner,
                                 std::string reason) {
    state_ = State::finished;
    attempt_timer_.cancel();
    deadline_timer_.cancel();
    boost::asio::ip::tcp::socket result(executor_);
    IpAddress address;
    for (std::size_t i = 0; i < attempts_.size(); ++i) {
        if (i == winner) {
            result = std::move(attempts_[i]->socket);
            address = attempts_[i]->address;
            continue;
        }
        // Closing completes the pending connect with operation_aborted; on_connect ignores it.
        boost::system::error_code ignored;
        attempts_[i]->socket.close(ignored);
        attempts_[i]->in_flight = false;
    }
    // Posted, so the handler never runs inside cancel() or start() with the caller's locks
    // or iterators live.
    boost::asio::post(executor_, [handler = std::move(handler_), error, socket = std::move(result),
                                  address, reason = std::move(reason)]() mutable {
        handler(error, std::move(socket), address, std::move(reason));
    });
    handler_ = nullptr;
}

}  // namespace shunt

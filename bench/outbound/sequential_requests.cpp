#include "bench/outbound/sequential_requests.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <cmath>

namespace shunt::bench {

void SequentialRequests::start(boost::asio::io_context& io, RequestRunOptions options,
                               DoneHandler done) {
    std::shared_ptr<SequentialRequests> run(
        new SequentialRequests(io, std::move(options), std::move(done)));
    run->run_started_ = std::chrono::steady_clock::now();
    run->next();
}

SequentialRequests::SequentialRequests(boost::asio::io_context& io, RequestRunOptions options,
                                       DoneHandler done)
    : io_(io), options_(std::move(options)), done_(std::move(done)), deadline_(io) {
    request_text_ = "GET " + options_.path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    result_.latencies_ms.reserve(static_cast<std::size_t>(options_.count));
}

void SequentialRequests::next() {
    if (result_.ok + result_.failed >= options_.count) {
        result_.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - run_started_).count();
        boost::asio::post(io_, [done = std::move(done_), result = std::move(result_)]() mutable {
            done(std::move(result));
        });
        return;
    }
    const std::uint64_t request = ++current_;
    received_.clear();
    request_started_ = std::chrono::steady_clock::now();
    deadline_.expires_after(options_.request_timeout);
    deadline_.async_wait([self = shared_from_this(), request](const boost::system::error_code& ec) {
        if (!ec) self->fail(request, "timed out");
    });
    options_.outbound->connect(
        options_.target,
        [self = shared_from_this(), request](
            const boost::system::error_code& ec, std::unique_ptr<outbound::Stream> s,
            std::string reason) { self->on_connected(request, ec, std::move(s), reason); });
}

void SequentialRequests::on_connected(std::uint64_t request, const boost::system::error_code& ec,
                                      std::unique_ptr<outbound::Stream> stream,
                                      const std::string& reason) {
    if (request != current_) return;  // timed out meanwhile; the stream just goes
    if (ec) {
        fail(request, "connect: " + (reason.empty() ? ec.message() : reason));
        return;
    }
    stream_ = std::move(stream);
    stream_->async_write(
        {boost::asio::buffer(request_text_)},
        [self = shared_from_this(), request](const boost::system::error_code& ec, std::size_t) {
            if (request != self->current_) return;
            if (ec) {
                self->fail(request, "write: " + ec.message());
                return;
            }
            self->wait_readable(request);
        });
}

void SequentialRequests::wait_readable(std::uint64_t request) {
    stream_->async_wait_readable(
        [self = shared_from_this(), request](const boost::system::error_code& ec) {
            self->on_readable(request, ec);
        });
}

void SequentialRequests::on_readable(std::uint64_t request, const boost::system::error_code& ec) {
    if (request != current_) return;
    if (ec) {
        fail(request, "wait: " + ec.message());
        return;
    }
    for (;;) {
        boost::system::error_code read_error;
        const std::size_t n = stream_->read_some(chunk_, read_error);
        if (read_error == boost::asio::error::would_block ||
            read_error == boost::asio::error::try_again) {
            wait_readable(request);
            return;
        }
        if (read_error == boost::asio::error::eof) {
            succeed(request);
            return;
        }
        if (read_error) {
            fail(request, "read: " + read_error.message());
            return;
        }
        received_.append(reinterpret_cast<const char*>(chunk_.data()), n);
    }
}

void SequentialRequests::succeed(std::uint64_t request) {
    const auto header_end = received_.find("\r\n\r\n");
    if (received_.rfind("HTTP/1.1 200", 0) != 0 || header_end == std::string::npos) {
        fail(request, "not a 200 answer: " + received_.substr(0, 40));
        return;
    }
    const std::size_t body = received_.size() - header_end - 4;
    if (body != options_.expected_body) {
        fail(request, "body of " + std::to_string(body) + " bytes, expected " +
                          std::to_string(options_.expected_body));
        return;
    }
    result_.latencies_ms.push_back(std::chrono::duration<double, std::milli>(
                                       std::chrono::steady_clock::now() - request_started_)
                                       .count());
    ++result_.ok;
    end_request();
}

void SequentialRequests::fail(std::uint64_t request, const std::string& why) {
    if (request != current_) return;
    if (result_.first_error.empty()) result_.first_error = why;
    ++result_.failed;
    if (stream_) stream_->close(false);
    end_request();
}

void SequentialRequests::end_request() {
    ++current_;  // whatever is still in flight for the old request is ignored
    deadline_.cancel();
    if (stream_) stream_->close(true);
    stream_.reset();
    // Through the loop: the stream's own handlers unwind before the next connect starts.
    boost::asio::post(io_, [self = shared_from_this()] { self->next(); });
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * values.size()));
    return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

}  // namespace shunt::bench

#include "outbound/group/url_probe.hpp"

#include <array>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace shunt::outbound {

namespace {

struct Probe : std::enable_shared_from_this<Probe> {
    explicit Probe(boost::asio::any_io_executor executor)
        : timer(executor), started(std::chrono::steady_clock::now()) {}

    boost::asio::steady_timer timer;
    std::chrono::steady_clock::time_point started;
    std::unique_ptr<Stream> stream;
    std::string request;
    std::string answer;
    ProbeHandler handler;

    void finish(bool ok, const std::string& error, int status = 0, bool timed_out = false) {
        if (!handler) return;
        timer.cancel();
        auto done = std::move(handler);
        handler = nullptr;
        ProbeResult result;
        result.ok = ok;
        result.delay = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        result.status = status;
        result.timed_out = timed_out;
        result.error = error;
        if (stream) stream->close(false);
        done(result);
    }

    void on_connected(std::unique_ptr<Stream> connected) {
        stream = std::move(connected);
        stream->async_write(
            {boost::asio::buffer(request)},
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                if (ec) self->finish(false, "send: " + ec.message());
            });
        wait();
    }

    void wait() {
        stream->async_wait_readable(
            [self = shared_from_this()](const boost::system::error_code&) { self->on_readable(); });
    }

    void on_readable() {
        if (!handler) return;
        std::array<std::uint8_t, 64> buffer{};
        boost::system::error_code ec;
        const std::size_t n = stream->read_some(buffer, ec);
        if (ec == boost::asio::error::would_block) {
            wait();
            return;
        }
        if (ec) {
            finish(false, ec == boost::asio::error::eof ? "closed without an answer"
                                                        : "receive: " + ec.message());
            return;
        }
        answer.append(reinterpret_cast<const char*>(buffer.data()), n);
        // "HTTP/1.1 204 ": the status code is the three digits after the first space.
        const auto space = answer.find(' ');
        if (answer.size() < 5 || space == std::string::npos || answer.size() < space + 4) {
            if (answer.size() < 64) {
                wait();
                return;
            }
        }
        int status = 0;
        if (space != std::string::npos && answer.size() >= space + 4) {
            for (std::size_t i = space + 1; i < space + 4; ++i) {
                const char c = answer[i];
                status = c >= '0' && c <= '9' ? status * 10 + (c - '0') : -1000;
            }
        }
        if (answer.compare(0, 5, "HTTP/") == 0 && status >= 100 && status <= 999)
            finish(true, {}, status);
        else
            finish(false, "not an HTTP answer");
    }
};

}  // namespace

void probe_url(boost::asio::any_io_executor executor, Outbound& via, const ProbeTarget& target,
               std::chrono::milliseconds timeout, ProbeHandler handler) {
    auto probe = std::make_shared<Probe>(executor);
    probe->handler = std::move(handler);
    const bool ipv6 = target.host.find(':') != std::string::npos;
    const std::string host = ipv6 ? "[" + target.host + "]" : target.host;
    probe->request = "GET " + target.path + " HTTP/1.1\r\nHost: " + host +
                     (target.port == 80 ? "" : ":" + std::to_string(target.port)) +
                     "\r\nUser-Agent: shunt\r\nConnection: close\r\n\r\n";
    probe->timer.expires_after(timeout);
    probe->timer.async_wait([probe](const boost::system::error_code& ec) {
        if (!ec) probe->finish(false, "timed out", 0, true);
    });
    Target to;
    if (auto address = IpAddress::parse(target.host))
        to.address = *address;
    else
        to.domain = target.host;
    to.port = target.port;
    via.connect(to, [probe](const boost::system::error_code& ec, std::unique_ptr<Stream> stream,
                            std::string reason) {
        if (!probe->handler) return;  // timed out meanwhile: the stream goes
        if (ec) {
            probe->finish(false, reason);
            return;
        }
        probe->on_connected(std::move(stream));
    });
}

}  // namespace shunt::outbound

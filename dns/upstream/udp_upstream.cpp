#include "dns/upstream/udp_upstream.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dns/upstream/dial_target.hpp"
#include "dns/upstream/message_check.hpp"
#include "dns/upstream/stream_upstream.hpp"
#include "dns/upstream/upstream_error.hpp"
#include "net/asio_address.hpp"
#include "net/socket_options.hpp"

namespace shunt::dns {

namespace {

// The largest UDP payload a DNS message can have.
constexpr std::size_t kMaxDatagram = 65535;

}  // namespace

struct UdpUpstream::Exchange {
    explicit Exchange(const boost::asio::any_io_executor& executor)
        : socket(executor), timer(executor) {}
    boost::asio::ip::udp::socket socket;
    boost::asio::steady_timer timer;
    std::vector<std::uint8_t> query;
    std::vector<std::uint8_t> buffer;
    std::chrono::steady_clock::time_point deadline;
    Callback callback;
    bool done = false;
};

UdpUpstream::UdpUpstream(boost::asio::any_io_executor executor, UpstreamSpec spec,
                         UpstreamOptions options)
    : executor_(std::move(executor)),
      spec_(std::move(spec)),
      options_(std::move(options)),
      server_(to_asio_address(spec_.address.value_or(IpAddress{})), spec_.port) {}

UdpUpstream::~UdpUpstream() {
    if (tcp_) tcp_->close();
}

void UdpUpstream::query(std::span<const std::uint8_t> wire_query, Callback callback) {
    auto exchange = std::make_shared<Exchange>(executor_);
    exchange->callback = std::move(callback);
    exchange->query.assign(wire_query.begin(), wire_query.end());
    exchange->deadline = std::chrono::steady_clock::now() + options_.timeout;
    live_.insert(exchange);
    if (closed_) return finish(exchange, boost::asio::error::operation_aborted, {});
    if (!message::is_valid_query(wire_query) || wire_query.size() > kMaxDatagram)
        return finish(exchange, UpstreamErrc::malformed_query, {});

    boost::system::error_code ec;
    exchange->socket.open(server_.protocol(), ec);
    if (!ec && options_.routing_mark != 0)
        ec = apply_routing_mark(exchange->socket, options_.routing_mark).error;
    // connect() binds a random ephemeral port and makes the kernel drop datagrams
    // from any other source, and report ICMP unreachable as connection_refused.
    if (!ec) exchange->socket.connect(server_, ec);
    if (!ec) exchange->socket.non_blocking(true, ec);
    if (ec) return finish(exchange, ec, {});

    exchange->timer.expires_at(exchange->deadline);
    exchange->timer.async_wait([self = shared_from_this(), exchange](boost::system::error_code ec) {
        if (!ec) self->finish(exchange, UpstreamErrc::timed_out, {});
    });
    exchange->socket.async_send(
        boost::asio::buffer(exchange->query),
        [self = shared_from_this(), exchange](boost::system::error_code ec, std::size_t) {
            if (exchange->done) return;
            if (ec) return self->finish(exchange, ec, {});
            self->receive(exchange);
        });
}

void UdpUpstream::close() {
    closed_ = true;
    std::vector<ExchangePtr> aborted(live_.begin(), live_.end());
    for (auto& exchange : aborted) finish(exchange, boost::asio::error::operation_aborted, {});
    if (tcp_) tcp_->close();
}

void UdpUpstream::receive(const ExchangePtr& exchange) {
    // Wait for readability and size the buffer to the datagram, rather than keep a
    // 64 KiB buffer per query in flight: a router may have thousands of them.
    exchange->socket.async_wait(
        boost::asio::ip::udp::socket::wait_read,
        [self = shared_from_this(), exchange](boost::system::error_code ec) {
            if (exchange->done) return;
            if (ec) return self->finish(exchange, ec, {});
            std::size_t available = exchange->socket.available(ec);
            if (ec) return self->finish(exchange, ec, {});
            exchange->buffer.resize(std::clamp<std::size_t>(available, 1, kMaxDatagram));
            std::size_t n = exchange->socket.receive(boost::asio::buffer(exchange->buffer), 0, ec);
            if (ec == boost::asio::error::would_block) return self->receive(exchange);
            // ICMP port unreachable arrives here as connection_refused.
            if (ec) return self->finish(exchange, ec, {});
            self->on_datagram(exchange, n);
        });
}

void UdpUpstream::on_datagram(const ExchangePtr& exchange, std::size_t size) {
    auto answer = std::span<const std::uint8_t>(exchange->buffer).first(size);
    switch (message::check_answer(exchange->query, answer)) {
        case message::AnswerCheck::ok:
            if (message::is_truncated(answer)) return retry_over_tcp(exchange);
            return finish(exchange, {}, {answer.begin(), answer.end()});
        case message::AnswerCheck::mismatch:
        case message::AnswerCheck::malformed:
            // Possibly a spoofing attempt or a late answer: not ours, keep listening.
            spdlog::debug("dns upstream {}: ignored a datagram that does not answer the query",
                          spec_.text);
            return receive(exchange);
    }
}

void UdpUpstream::retry_over_tcp(const ExchangePtr& exchange) {
    boost::system::error_code ignored;
    exchange->socket.close(ignored);
    if (!tcp_) {
        UpstreamSpec tcp_spec = spec_;
        tcp_spec.scheme = UpstreamSpec::Scheme::tcp;
        tcp_spec.text = "tcp://" + server_.address().to_string() + ":" +
                        std::to_string(spec_.port) + " (TC retry of " + spec_.text + ")";
        tcp_ =
            std::make_shared<StreamUpstream>(executor_, std::move(tcp_spec), options_,
                                             [executor = executor_, mark = options_.routing_mark] {
                                                 return make_tcp_transport(executor, mark);
                                             });
    }
    tcp_->query_until(exchange->query, exchange->deadline,
                      [self = shared_from_this(), exchange](boost::system::error_code ec,
                                                            std::vector<std::uint8_t> response) {
                          self->finish(exchange, ec, std::move(response));
                      });
}

void UdpUpstream::finish(const ExchangePtr& exchange, boost::system::error_code ec,
                         std::vector<std::uint8_t> response) {
    if (exchange->done) return;
    exchange->done = true;
    exchange->timer.cancel();
    boost::system::error_code ignored;
    exchange->socket.close(ignored);
    live_.erase(exchange);
    // Posted so that a callback that queries again never re-enters this object.
    boost::asio::post(executor_, [callback = std::move(exchange->callback), ec,
                                  response = std::move(response)]() mutable {
        callback(ec, std::move(response));
    });
}

}  // namespace shunt::dns

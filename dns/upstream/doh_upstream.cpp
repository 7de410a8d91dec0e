#include "dns/upstream/doh_upstream.hpp"
#include "net/marked_connect.hpp"
#include "net/tls_client.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <boost/beast/http/write.hpp>

#include "dns/upstream/doh_response.hpp"
#include "dns/upstream/message_check.hpp"
#include "dns/upstream/tls_client_context.hpp"
#include "dns/upstream/upstream_error.hpp"

namespace shunt::dns {

namespace http = boost::beast::http;
using Body = http::vector_body<std::uint8_t>;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(10);

boost::system::error_code stream_error(boost::system::error_code ec) {
    if (ec == boost::asio::error::eof || ec == http::error::end_of_stream ||
        ec == boost::asio::ssl::error::stream_truncated)
        return UpstreamErrc::connection_closed;
    return ec;
}

std::string host_header(const UpstreamSpec& spec) {
    std::string host =
        spec.tls_name.find(':') == std::string::npos ? spec.tls_name : "[" + spec.tls_name + "]";
    if (spec.port != 443) host += ":" + std::to_string(spec.port);
    return host;
}

}  // namespace

struct DohUpstream::Request {
    explicit Request(const boost::asio::any_io_executor& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    std::vector<std::uint8_t> query;  // with id 0
    std::uint16_t client_id = 0;
    Callback callback;
    bool done = false;
    bool retried = false;
    std::weak_ptr<Connection> connection;  // while an exchange for it is under way
};

struct DohUpstream::Connection {
    enum class State { connecting, idle, busy };
    Connection(const boost::asio::any_io_executor& executor, std::shared_ptr<TlsClientContext> tls)
        : tls(std::move(tls)), stream(executor, this->tls->native()), timer(executor) {}
    std::shared_ptr<TlsClientContext> tls;  // outlives the stream even if the upstream goes
    State state = State::connecting;
    bool dropped = false;
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream;
    std::shared_ptr<HappyEyeballsDialer> dialer;  // while connecting: a drop aborts it
    boost::asio::steady_timer timer;              // connect deadline, then idle timeout
    boost::beast::flat_buffer buffer;
    http::request<Body> http_request;
    std::optional<http::response_parser<Body>> parser;
    RequestPtr current;
    unsigned exchanges = 0;  // completed on this connection: nonzero means reused
};

DohUpstream::DohUpstream(boost::asio::any_io_executor executor, UpstreamSpec spec,
                         UpstreamOptions options, std::shared_ptr<TlsClientContext> tls)
    : executor_(executor),
      spec_(std::move(spec)),
      options_(std::move(options)),
      tls_(std::move(tls)),
      target_(executor, spec_, options_),
      host_header_(host_header(spec_)) {}

DohUpstream::~DohUpstream() {
    for (auto& connection : connections_) {
        boost::system::error_code ignored;
        if (connection->dialer) connection->dialer->cancel();
        connection->stream.next_layer().close(ignored);
        connection->timer.cancel();
    }
    target_.close();
}

void DohUpstream::query(std::span<const std::uint8_t> wire_query, Callback callback) {
    auto request = std::make_shared<Request>(executor_);
    request->callback = std::move(callback);
    live_.insert(request);
    if (closed_) return finish(request, boost::asio::error::operation_aborted, {});
    if (!message::is_valid_query(wire_query) || wire_query.size() > 65535)
        return finish(request, UpstreamErrc::malformed_query, {});
    request->client_id = message::id(wire_query);
    request->query.assign(wire_query.begin(), wire_query.end());
    message::set_id(request->query, 0);
    request->timer.expires_after(options_.timeout);
    request->timer.async_wait([self = shared_from_this(), request](boost::system::error_code ec) {
        if (!ec) self->on_timeout(request);
    });
    queue_.push_back(std::move(request));
    dispatch();
}

void DohUpstream::close() {
    closed_ = true;
    target_.close();
    std::vector<RequestPtr> aborted(live_.begin(), live_.end());
    for (auto& request : aborted) finish(request, boost::asio::error::operation_aborted, {});
    queue_.clear();
    auto connections = connections_;
    for (auto& connection : connections) drop_connection(connection, {});
}

void DohUpstream::dispatch() {
    if (closed_) return;
    while (!queue_.empty()) {
        if (queue_.front()->done) {
            queue_.pop_front();
            continue;
        }
        auto idle = std::find_if(connections_.begin(), connections_.end(),
                                 [](const auto& c) { return c->state == Connection::State::idle; });
        if (idle == connections_.end()) break;
        auto request = std::move(queue_.front());
        queue_.pop_front();
        send(*idle, std::move(request));
    }
    // Open connections for the requests that no connection (open or opening) serves.
    auto waiting = static_cast<std::size_t>(
        std::count_if(queue_.begin(), queue_.end(), [](const auto& r) { return !r->done; }));
    auto opening = static_cast<std::size_t>(
        std::count_if(connections_.begin(), connections_.end(),
                      [](const auto& c) { return c->state == Connection::State::connecting; }));
    while (opening < waiting && connections_.size() < kMaxConnections) {
        open_connection();
        ++opening;
    }
}

void DohUpstream::open_connection() {
    auto connection = std::make_shared<Connection>(executor_, tls_);
    connections_.push_back(connection);
    std::weak_ptr<DohUpstream> weak = shared_from_this();
    connection->timer.expires_after(options_.timeout);
    connection->timer.async_wait([weak, connection](boost::system::error_code ec) {
        auto self = weak.lock();
        if (!ec && self && connection->state == Connection::State::connecting)
            self->drop_connection(connection, UpstreamErrc::timed_out);
    });
    target_.resolve([weak, connection](boost::system::error_code ec,
                                       std::vector<boost::asio::ip::tcp::endpoint> endpoints) {
        auto self = weak.lock();
        if (!self || connection->dropped) return;
        if (ec) return self->drop_connection(connection, ec);
        connection->dialer = async_connect_marked(
            connection->stream.next_layer(), std::move(endpoints), self->options_.routing_mark,
            [weak, connection](boost::system::error_code ec) {
                auto self = weak.lock();
                if (!self || connection->dropped) return;
                if (!ec) {
                    connection->stream.next_layer().set_option(boost::asio::ip::tcp::no_delay(true),
                                                               ec);
                    ec = expect_tls_peer_name(connection->stream.native_handle(),
                                              self->spec_.tls_name);
                }
                if (ec) return self->drop_connection(connection, ec);
                connection->stream.async_handshake(
                    boost::asio::ssl::stream_base::client,
                    [weak, connection](boost::system::error_code ec) {
                        if (auto self = weak.lock())
                            self->on_connected(
                                connection,
                                explain_handshake_error(connection->stream.native_handle(), ec));
                    });
            });
    });
}

void DohUpstream::on_connected(const ConnectionPtr& connection, boost::system::error_code ec) {
    if (connection->dropped) return;
    if (ec) return drop_connection(connection, ec);
    make_idle(connection);
    dispatch();
}

void DohUpstream::send(const ConnectionPtr& connection, RequestPtr request) {
    connection->state = Connection::State::busy;
    connection->timer.cancel();
    request->connection = connection;
    connection->current = std::move(request);

    auto& message = connection->http_request;
    message = {};
    message.method(http::verb::post);
    message.target(spec_.path);
    message.version(11);
    message.set(http::field::host, host_header_);
    message.set(http::field::content_type, kDnsMessageType);
    message.set(http::field::accept, kDnsMessageType);
    message.body() = connection->current->query;
    message.keep_alive(true);
    message.prepare_payload();

    std::weak_ptr<DohUpstream> weak = shared_from_this();
    http::async_write(
        connection->stream, message, [weak, connection](boost::system::error_code ec, std::size_t) {
            auto self = weak.lock();
            if (!self || connection->dropped) return;
            if (ec) return self->drop_connection(connection, stream_error(ec));
            connection->parser.emplace();
            connection->parser->body_limit(65535);
            http::async_read(connection->stream, connection->buffer, *connection->parser,
                             [weak, connection](boost::system::error_code ec, std::size_t) {
                                 if (auto self = weak.lock()) self->on_response(connection, ec);
                             });
        });
}

void DohUpstream::on_response(const ConnectionPtr& connection, boost::system::error_code ec) {
    if (connection->dropped) return;
    if (ec) return drop_connection(connection, stream_error(ec));
    ++connection->exchanges;
    auto request = std::move(connection->current);
    request->connection.reset();
    auto response = connection->parser->release();
    connection->parser.reset();

    auto& answer = response.body();
    if (auto judged = judge_doh_response(response.result_int(), response[http::field::content_type],
                                         request->query, answer)) {
        finish(request, judged, {});
    } else {
        message::set_id(answer, request->client_id);
        finish(request, {}, std::move(answer));
    }
    if (!response.keep_alive()) return drop_connection(connection, {});
    make_idle(connection);
    dispatch();
}

void DohUpstream::make_idle(const ConnectionPtr& connection) {
    connection->state = Connection::State::idle;
    std::weak_ptr<DohUpstream> weak = shared_from_this();
    connection->timer.expires_after(kIdleTimeout);
    connection->timer.async_wait([weak, connection](boost::system::error_code ec) {
        auto self = weak.lock();
        if (!ec && self && connection->state == Connection::State::idle)
            self->drop_connection(connection, {});
    });
}

void DohUpstream::drop_connection(const ConnectionPtr& connection, boost::system::error_code ec) {
    if (connection->dropped) return;
    connection->dropped = true;
    auto state = connection->state;
    boost::system::error_code ignored;
    if (connection->dialer) connection->dialer->cancel();
    connection->stream.next_layer().close(ignored);
    connection->timer.cancel();
    std::erase(connections_, connection);
    if (ec) spdlog::debug("dns upstream {}: connection dropped: {}", spec_.text, ec.message());

    if (state == Connection::State::connecting && ec) {
        bool others_open = std::any_of(connections_.begin(), connections_.end(), [](const auto& c) {
            return c->state != Connection::State::connecting;
        });
        // No connection works: the waiting queries learn why now, not at their timeout.
        if (!others_open) {
            auto waiting = std::move(queue_);
            queue_.clear();
            for (auto& request : waiting) finish(request, ec, {});
        }
    }
    if (auto request = std::move(connection->current); request && !request->done) {
        request->connection.reset();
        if (connection->exchanges > 0 && !request->retried && !closed_) {
            request->retried = true;
            queue_.push_front(std::move(request));
        } else {
            finish(request, ec ? ec : make_error_code(UpstreamErrc::connection_closed), {});
        }
    }
    dispatch();
}

void DohUpstream::on_timeout(const RequestPtr& request) {
    if (request->done) return;
    auto connection = request->connection.lock();
    finish(request, UpstreamErrc::timed_out, {});
    // Mid-exchange: HTTP/1.1 cannot abandon one request and keep the connection.
    if (connection) drop_connection(connection, UpstreamErrc::timed_out);
}

void DohUpstream::finish(const RequestPtr& request, boost::system::error_code ec,
                         std::vector<std::uint8_t> response) {
    if (request->done) return;
    request->done = true;
    request->timer.cancel();
    live_.erase(request);
    // Posted so that a callback that queries again never re-enters this object.
    boost::asio::post(executor_, [callback = std::move(request->callback), ec,
                                  response = std::move(response)]() mutable {
        callback(ec, std::move(response));
    });
}

}  // namespace shunt::dns

#include "api/api_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "api/stream_session.hpp"

namespace shunt::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

constexpr std::chrono::milliseconds kLinger{2000};

std::optional<std::string_view> header(const http::request<http::string_body>& request,
                                       std::string_view name) {
    const auto it = request.find(name);
    if (it == request.end()) return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
}

}  // namespace

RequestFacts request_facts(const http::request<http::string_body>& message) {
    RequestFacts facts;
    facts.method = std::string_view(message.method_string().data(), message.method_string().size());
    facts.target = std::string_view(message.target().data(), message.target().size());
    facts.host = header(message, "Host");
    facts.origin = header(message, "Origin");
    facts.authorization = header(message, "Authorization");
    facts.upgrade = header(message, "Upgrade");
    facts.access_control_request_method = header(message, "Access-Control-Request-Method");
    facts.access_control_request_private =
        header(message, "Access-Control-Request-Private-Network");
    return facts;
}

ApiSession::ApiSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<ApiContext> context,
                       bool unix_socket)
    : stream_(std::move(socket)), context_(std::move(context)), unix_socket_(unix_socket) {
    ++context_->open;
}

ApiSession::~ApiSession() {
    --context_->open;
}

void ApiSession::start() {
    do_read();
}

void ApiSession::do_read() {
    state_ = State::reading_header;
    parser_.emplace();
    parser_->body_limit(context_->limits.max_body);
    parser_->header_limit(static_cast<std::uint32_t>(context_->limits.max_header));
    // The first request's headers are due within header_timeout of the accept; a
    // kept-alive connection may first wait for its next request, so there the idle
    // timeout covers the wait and the headers together (Beast cannot tell where the idle
    // wait ends). The body is then due within request_timeout of the headers.
    stream_.expires_after(first_request_ ? context_->limits.header_timeout
                                         : context_->limits.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        std::size_t) { self->on_header(ec); });
}

void ApiSession::on_header(const boost::system::error_code& ec) {
    if (state_ == State::closed) return;
    if (ec) return fail(ec, "header");
    state_ = State::reading_body;
    stream_.expires_after(context_->limits.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](const boost::system::error_code& ec2,
                                                 std::size_t) { self->on_body(ec2); });
}

void ApiSession::on_body(const boost::system::error_code& ec) {
    if (state_ == State::closed) return;
    if (ec) return fail(ec, "body");
    first_request_ = false;
    handle();
}

void ApiSession::handle() {
    const auto& message = parser_->get();
    RequestFacts facts = request_facts(message);
    facts.unix_socket = unix_socket_;
    const auto verdict = check_request(context_->guard, facts);

    ApiResponse response;
    switch (verdict.outcome) {
        case GuardOutcome::forbidden:
            response = error_response(http::status::forbidden, "Forbidden");
            break;
        case GuardOutcome::unauthorized:
            response = error_response(http::status::unauthorized, "Unauthorized");
            break;
        case GuardOutcome::preflight:
            response.status = http::status::no_content;
            break;
        case GuardOutcome::serve: {
            auto target = RequestTarget::parse(facts.target);
            if (!target) {
                response = error_response(http::status::bad_request, "Invalid request target");
                break;
            }
            ApiRequest request{message.method(), std::move(*target), message.body(),
                               websocket::is_upgrade(message)};
            // Until the endpoint answers nothing is read (HTTP/1.1 answers in order); a
            // session closed meanwhile drops the late answer.
            state_ = State::responding;
            context_->router.route(request,
                                   [self = shared_from_this(), headers = std::move(verdict.headers),
                                    keep_alive = message.keep_alive(),
                                    upgrade = request.websocket](ApiResponse answer) mutable {
                                       if (self->state_ != State::responding) return;
                                       for (auto& h : headers)
                                           answer.headers.push_back(std::move(h));
                                       if (answer.stream.queue)
                                           self->hand_over(std::move(answer), upgrade);
                                       else
                                           self->do_write(std::move(answer), keep_alive);
                                   });
            return;
        }
    }
    for (auto& h : verdict.headers) response.headers.push_back(std::move(h));
    do_write(std::move(response), message.keep_alive());
}

void ApiSession::do_write(ApiResponse response, bool keep_alive) {
    state_ = State::writing;
    auto message = std::make_shared<http::response<http::string_body>>(response.status, 11);
    message->set(http::field::server, "shunt");
    if (response.status != http::status::no_content) {
        message->set(http::field::content_type, response.content_type);
        message->body() = std::move(response.body);
    }
    for (const auto& [name, value] : response.headers) message->set(name, value);
    message->keep_alive(keep_alive);
    message->prepare_payload();
    response_ = message;
    stream_.expires_after(context_->limits.request_timeout);
    http::async_write(
        stream_, *message,
        [self = shared_from_this(), keep_alive](const boost::system::error_code& ec, std::size_t) {
            self->on_write(ec, keep_alive);
        });
}

void ApiSession::hand_over(ApiResponse response, bool upgrade) {
    state_ = State::closed;  // this session is done; the connection lives on in the stream
    auto stream =
        std::make_shared<StreamSession>(std::move(stream_), context_, std::move(response.stream));
    context_->sessions.push_back(stream);
    if (upgrade)
        stream->start_websocket(parser_->release());
    else
        stream->start_chunked(std::move(response.headers));
}

void ApiSession::on_write(const boost::system::error_code& ec, bool keep_alive) {
    response_.reset();
    if (state_ == State::closed) return;
    if (ec) return fail(ec, "write");
    if (!keep_alive) return linger();
    do_read();
}

// The last response is out; the client may still be sending (a body we refused). Closing
// now would reset the connection and could destroy the response in its buffers, so the
// sending side closes first and what still arrives is read and dropped for a moment.
void ApiSession::linger() {
    state_ = State::lingering;
    boost::system::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLinger);
    drain();
}

void ApiSession::drain() {
    stream_.async_read_some(
        boost::asio::buffer(discard_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
            if (self->state_ != State::lingering) return;
            if (ec) return self->close("done");
            self->drain();
        });
}

// The one sink for errors: a body over the cap still gets its 413; the rest just end.
void ApiSession::fail(const boost::system::error_code& ec, const char* step) {
    if (ec == http::error::body_limit) {
        do_write(error_response(http::status::payload_too_large, "Request body too large"), false);
        return;
    }
    if (ec == http::error::end_of_stream || ec == boost::asio::error::eof ||
        ec == beast::error::timeout || ec == boost::asio::error::operation_aborted)
        return close(ec == beast::error::timeout ? "deadline" : "peer closed");
    if (state_ == State::reading_header || state_ == State::reading_body) {
        // Not HTTP we can read (bad method, header too large, broken chunks): say so once.
        spdlog::debug("api: {}: {}", step, ec.message());
        do_write(error_response(http::status::bad_request, "Bad request"), false);
        return;
    }
    spdlog::debug("api: {}: {}", step, ec.message());
    close("error");
}

void ApiSession::close(const char* reason) {
    if (state_ == State::closed) return;
    state_ = State::closed;
    spdlog::trace("api: connection closed ({})", reason);
    boost::system::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
}

}  // namespace shunt::api

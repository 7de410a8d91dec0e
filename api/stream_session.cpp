#include "api/stream_session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace shunt::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

// A WebSocket peer is pinged after half of this without a frame, and closed after all of it.
constexpr std::chrono::seconds kWebSocketIdle{60};
// A chunk that cannot be written for this long means the client stopped reading.
constexpr std::chrono::seconds kWriteTimeout{60};

}  // namespace

StreamSession::StreamSession(beast::tcp_stream stream, std::shared_ptr<ApiContext> context,
                             StreamFeed feed)
    : context_(std::move(context)),
      feed_(std::move(feed)),
      websocket_(std::move(stream)),
      watchdog_(websocket_.get_executor()) {
    ++context_->open;
}

StreamSession::~StreamSession() {
    --context_->open;
    if (const auto dropped = feed_.queue->dropped())
        spdlog::debug("api: stream ended; {} message(s) dropped for a slow client", dropped);
}

void StreamSession::start_websocket(http::request<http::string_body> request) {
    mode_ = Mode::websocket;
    // Beast's own timer: the handshake, then pings when idle, and a close when silent.
    websocket_.next_layer().expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = context_->limits.header_timeout;
    timeouts.idle_timeout = kWebSocketIdle;
    timeouts.keep_alive_pings = true;
    websocket_.set_option(timeouts);
    websocket_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(http::field::server, "shunt"); }));
    websocket_.text(true);
    // One frame per message: fragmenting a 5 MB snapshot into Beast's default 4 KB frames
    // costs a write each (bench_api: the push's CPU halved without it).
    websocket_.auto_fragment(false);
    websocket_.async_accept(
        request,
        [self = shared_from_this()](const boost::system::error_code& ec) { self->on_started(ec); });
}

void StreamSession::start_chunked(std::vector<std::pair<std::string, std::string>> headers) {
    mode_ = Mode::chunked;
    auto response = std::make_shared<http::response<http::empty_body>>(http::status::ok, 11);
    response->set(http::field::server, "shunt");
    response->set(http::field::content_type, "application/json");
    response->set(http::field::cache_control, "no-cache");
    for (const auto& [name, value] : headers) response->set(name, value);
    response->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*response);
    header_ =
        std::make_shared<std::pair<decltype(response), decltype(serializer)>>(response, serializer);
    auto& stream = websocket_.next_layer();
    stream.expires_after(kWriteTimeout);
    http::async_write_header(stream, *serializer,
                             [self = shared_from_this()](const boost::system::error_code& ec,
                                                         std::size_t) { self->on_started(ec); });
}

void StreamSession::on_started(const boost::system::error_code& ec) {
    header_.reset();
    if (state_ == State::closed) return;
    if (ec) return fail(ec, "start");
    state_ = State::streaming;
    if (mode_ == Mode::chunked) websocket_.next_layer().expires_never();
    arm_waker();
    do_read();
    watch_writes();
    do_write();
}

// The queue wakes the session from the producer's thread: the write starts on the loop.
void StreamSession::arm_waker() {
    feed_.queue->set_waker([weak = weak_from_this(), executor = websocket_.get_executor()] {
        boost::asio::post(executor, [weak] {
            if (auto self = weak.lock()) self->do_write();
        });
    });
}

// Reads only to notice the client going (and, for a WebSocket, to answer its pings and
// close frames); what it sends is dropped.
void StreamSession::do_read() {
    auto on_read = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
        if (self->state_ == State::closed) return;
        if (ec) return self->fail(ec, "read");
        self->read_buffer_.clear();
        self->do_read();
    };
    if (mode_ == Mode::websocket)
        websocket_.async_read(read_buffer_, std::move(on_read));
    else
        websocket_.next_layer().async_read_some(read_buffer_.prepare(4096), std::move(on_read));
}

void StreamSession::do_write() {
    if (state_ != State::streaming || write_in_flight_) return;
    if (pending_.empty()) {
        for (auto& message : feed_.queue->take()) pending_.push_back(std::move(message));
        if (pending_.empty()) return;
    }
    // One JSON object per frame or chunk, newline-terminated (as mihomo's encoder writes).
    writing_ = std::move(pending_.front());
    pending_.pop_front();
    writing_ += '\n';
    write_in_flight_ = true;
    write_started_ = std::chrono::steady_clock::now();
    auto on_written = [self = shared_from_this()](const boost::system::error_code& ec,
                                                  std::size_t) { self->on_write(ec); };
    if (mode_ == Mode::websocket)
        websocket_.async_write(boost::asio::buffer(writing_), std::move(on_written));
    else
        boost::asio::async_write(websocket_.next_layer(),
                                 http::make_chunk(boost::asio::buffer(writing_)),
                                 std::move(on_written));
}

void StreamSession::on_write(const boost::system::error_code& ec) {
    write_in_flight_ = false;
    if (state_ == State::closed) return;
    if (ec) return fail(ec, "write");
    do_write();
}

// A client that stopped reading blocks the write in flight; its queue drops meanwhile,
// and after kWriteTimeout the connection goes (a WebSocket's pings catch it as well).
void StreamSession::watch_writes() {
    watchdog_.expires_after(kWriteTimeout / 4);
    watchdog_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || self->state_ == State::closed) return;
        if (self->write_in_flight_ &&
            std::chrono::steady_clock::now() - self->write_started_ > kWriteTimeout)
            return self->close("client stopped reading");
        self->watch_writes();
    });
}

void StreamSession::fail(const boost::system::error_code& ec, const char* step) {
    if (ec != boost::asio::error::eof && ec != websocket::error::closed &&
        ec != boost::asio::error::operation_aborted && ec != boost::asio::error::connection_reset)
        spdlog::debug("api: stream {}: {}", step, ec.message());
    close(step);
}

void StreamSession::close(const char* reason) {
    if (state_ == State::closed) return;
    state_ = State::closed;
    spdlog::trace("api: stream closed ({})", reason);
    feed_.queue->set_waker(nullptr);
    watchdog_.cancel();
    auto& stream = websocket_.next_layer();
    boost::system::error_code ignored;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    stream.close();
}

}  // namespace shunt::api

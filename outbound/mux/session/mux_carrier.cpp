// MuxCarrier's core: starting, the stream table, a stream's phase and its end, keepalive
// and the carrier's own end. The reading half (frames in) is in mux_carrier_reading.cpp,
// the writing half (frames out, credit, the handle's calls) in mux_carrier_writing.cpp.
#include "outbound/mux/session/mux_carrier.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "outbound/mux/session/mux_stream.hpp"

namespace shunt::outbound::mux {

namespace {

constexpr std::size_t kReadBuffer = 256 * 1024;
// After a protocol error the GOAWAY gets this long to leave before the socket closes.
constexpr std::chrono::milliseconds kGoawayLinger{2000};

}  // namespace

MuxCarrier::MuxCarrier(std::shared_ptr<TlsChannel> tls, CarrierRole role, CarrierOptions options,
                       std::string label)
    : executor_(tls->get_executor()),
      tls_(std::move(tls)),
      role_(role),
      options_(options),
      label_(std::move(label)),
      in_(kReadBuffer),
      tick_(executor_),
      last_received_(std::chrono::steady_clock::now()),
      last_ping_(last_received_) {}

MuxCarrier::~MuxCarrier() {
    on_closed_ = nullptr;
    close("destroyed");
    tls_->close();  // a lingering GOAWAY is not waited for any more
}

void MuxCarrier::start_client(const Key& proof, const Key& expected_server_proof,
                              ReadyHandler on_ready, ClosedHandler on_closed) {
    expected_server_proof_ = expected_server_proof;
    auth_ok_pending_ = true;
    on_ready_ = std::move(on_ready);
    on_closed_ = std::move(on_closed);
    begin(proof);
}

void MuxCarrier::start_server(const Key& proof, OpenHandler on_open, ClosedHandler on_closed) {
    state_ = CarrierState::ready;
    on_open_ = std::move(on_open);
    on_closed_ = std::move(on_closed);
    begin(proof);
}

// Our AUTH (client) or AUTH_OK (server) goes first; then frames both ways.
void MuxCarrier::begin(const Key& proof) {
    const auto auth = build_auth_message(proof);
    out_.insert(out_.end(), auth.begin(), auth.end());
    send_ping();  // the first round-trip sample, for window growth
    flush();
    do_read();
    arm_tick();
}

// ---- streams ----

std::shared_ptr<StreamState> MuxCarrier::add_stream(std::uint16_t id) {
    auto state = std::make_shared<StreamState>();
    state->carrier = this;
    state->id = id;
    state->send_credit = options_.initial_window;
    state->granted = options_.initial_window;
    state->window = ReceiveWindow(options_.initial_window,
                                  std::max(options_.max_window, options_.initial_window),
                                  std::chrono::steady_clock::now());
    streams_.emplace(id, state);
    return state;
}

std::shared_ptr<StreamState> MuxCarrier::find(std::uint16_t id) const {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second;
}

std::unique_ptr<MuxStream> MuxCarrier::open_stream(Network network, const HostPort& address) {
    if (role_ != CarrierRole::client || !accepts_streams()) return nullptr;
    const auto id = ids_.allocate();
    if (!id) return nullptr;
    auto state = add_stream(*id);
    append_open(out_, *id, network, address);
    flush();
    return std::make_unique<MuxStream>(shared_from_this(), std::move(state));
}

// The one place a stream's phase changes (docs/mux.md's table). The caller holds a
// reference to the state: reaching "closed" takes it out of the table.
void MuxCarrier::advance(StreamState& stream, StreamEvent event) {
    const auto before = stream.phase;
    stream.phase = next_phase(before, event);
    if (stream.phase == StreamPhase::closed && before != StreamPhase::closed)
        free_stream(stream, before);
}

// Both ends are sent and received: the id goes back and the table forgets the stream.
void MuxCarrier::free_stream(StreamState& stream, StreamPhase before) {
    // Bytes the handle has not read yet stay with it (the peer's FIN may arrive before the
    // application read the last data); they just stop counting against the carrier.
    total_buffered_ -= stream.buffered + stream.taken_unconsumed;
    stream.taken_unconsumed = 0;
    window_growth_ -= stream.window.grown();
    if (before == StreamPhase::reset_sent || stream.error) {
        stream.buffered = 0;
        stream.received.clear();
    }
    const auto it = streams_.find(stream.id);
    // A stream the carrier's close already took out of the table is not there any more.
    if (it == streams_.end() || it->second.get() != &stream) return;
    if (role_ == CarrierRole::client) ids_.release(stream.id);
    streams_.erase(it);   // the handle may still hold the state
    send_owed_updates();  // its bytes no longer count: updates held by the cap may go
    if (state_ == CarrierState::draining && streams_.empty() && !goaway_unacknowledged_)
        close("drained");
}

void MuxCarrier::notify_reader(StreamState& stream) {
    if (!stream.read_waiter) return;
    boost::asio::post(executor_, [handler = std::move(stream.read_waiter)] { handler({}); });
    stream.read_waiter = nullptr;
}

// Unread bytes go; the carrier's count loses them unless free_stream took them off already.
void MuxCarrier::drop_received(StreamState& stream) {
    if (stream.phase != StreamPhase::closed)
        total_buffered_ -= stream.buffered + stream.taken_unconsumed;
    stream.buffered = 0;
    stream.taken_unconsumed = 0;
    stream.received.clear();
    // Less is held now: updates the cap held back may go (else they waited for the peer's
    // answer to our RESET, or forever from a peer that does not answer). Not while closing.
    if (state_ != CarrierState::closed) send_owed_updates();
}

// The stream failed: its reads and writes report `ec`; unread data is dropped.
void MuxCarrier::fail_stream(StreamState& stream, const boost::system::error_code& ec,
                             std::string reason) {
    if (stream.error) return;
    stream.error = ec;
    stream.reason = std::move(reason);
    drop_received(stream);
    notify_reader(stream);
    if (stream.write_handler) {
        boost::asio::post(executor_, [handler = std::move(stream.write_handler), ec,
                                      n = stream.write_total] { handler(ec, n); });
        stream.write_handler = nullptr;
    }
    if (stream.on_end) {
        auto on_end = std::move(stream.on_end);
        on_end(ec, stream.reason);
    }
}

// ---- life ----

void MuxCarrier::arm_tick() {
    // A second, or finer when the keepalive is set short: a ping every interval and a dead
    // carrier seen within a fraction of the timeout, not up to a whole tick late.
    const auto period =
        std::clamp(std::min({options_.keepalive_interval, options_.keepalive_timeout / 4,
                             std::chrono::milliseconds(1000)}),
                   std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
    tick_.expires_after(period);
    tick_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->on_tick();
    });
}

void MuxCarrier::on_tick() {
    if (state_ == CarrierState::closed) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_received_ >= options_.keepalive_timeout) {
        close("no data or pong for " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(options_.keepalive_timeout)
                      .count()) +
              " s");
        return;
    }
    if (now - last_ping_ >= options_.keepalive_interval) {
        last_ping_ = now;
        send_ping();
        flush();
    }
    abort_stalled_writers(now);
    arm_tick();
}

// GOAWAY, then a PING: the peer may have sent OPENs before it read the GOAWAY, and they
// arrive before its PONG (frames keep their order). So an empty carrier closes only once
// that PONG is here, and no stream the peer opened in the meantime is cut.
void MuxCarrier::drain(const std::string& reason) {
    if (state_ == CarrierState::closed || state_ == CarrierState::draining) return;
    state_ = CarrierState::draining;
    append_goaway(out_, ResultCode::ok, reason);
    send_ping();
    goaway_unacknowledged_ = true;
    flush();
}

// The peer broke the protocol (docs/mux.md, "Frames"): GOAWAY with code 1, then the
// carrier closes. The socket stays open until the GOAWAY is written (or for
// kGoawayLinger), so the peer learns why even when a large write was in progress.
void MuxCarrier::protocol_error(const std::string& what) {
    if (state_ == CarrierState::closed) return;
    append_goaway(out_, ResultCode::failure, "protocol error");
    lingering_ = true;
    end("protocol error: " + what);
    flush();
    tick_.expires_after(kGoawayLinger);
    tick_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->stop_lingering();
    });
}

void MuxCarrier::stop_lingering() {
    if (!lingering_) return;
    lingering_ = false;
    tick_.cancel();
    tls_->close();
}

void MuxCarrier::close(const std::string& reason) {
    if (state_ == CarrierState::closed) return;
    end(reason);
    // No TLS shutdown handshake: the socket goes, which the peer sees as the carrier dying.
    tls_->close();
}

// Idempotent through close()/protocol_error(): every stream fails with the reason, timers
// stop, the owner hears once. The socket is the caller's to close.
void MuxCarrier::end(const std::string& reason) {
    state_ = CarrierState::closed;
    tick_.cancel();
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, stream] : streams) {
        fail_stream(*stream, make_error_code(boost::asio::error::connection_aborted),
                    "carrier closed: " + reason);
        stream->carrier = nullptr;
        stream->phase = StreamPhase::closed;  // the carrier is gone: no end will come
    }
    waiting_room_.clear();
    owed_updates_.clear();
    total_buffered_ = 0;
    window_growth_ = 0;
    spdlog::debug("mux {}: carrier closed: {}", label_, reason);
    if (on_closed_) {
        auto handler = std::move(on_closed_);
        on_closed_ = nullptr;
        boost::asio::post(executor_, [self = shared_from_this(), handler = std::move(handler),
                                      reason] { handler(*self, reason); });
    }
}

}  // namespace shunt::outbound::mux

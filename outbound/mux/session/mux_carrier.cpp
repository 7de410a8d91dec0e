#include "outbound/mux/session/mux_carrier.hpp"

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "outbound/mux/session/mux_stream.hpp"

namespace shunt::outbound::mux {

namespace {

// Stream writes are copied in while the outgoing queue is below this; above it writers
// wait. Large enough for TLS to write 16 KiB records back to back, small enough that one
// fast stream cannot queue seconds of data ahead of the others.
constexpr std::size_t kHighWater = 512 * 1024;
// DATAGRAM frames are dropped above this (UDP may be lost; it must not queue).
constexpr std::size_t kDatagramLimit = 1024 * 1024;
constexpr std::size_t kMaxDataFrame = 32 * 1024;
constexpr std::size_t kReadBuffer = 256 * 1024;

boost::system::error_code reset_error() {
    return make_error_code(boost::asio::error::connection_reset);
}

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

std::shared_ptr<StreamState> MuxCarrier::add_stream(std::uint16_t id, Network network) {
    auto state = std::make_shared<StreamState>();
    state->carrier = this;
    state->id = id;
    state->network = network;
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
    auto state = add_stream(*id, network);
    append_open(out_, *id, network, address);
    flush();
    return std::make_unique<MuxStream>(shared_from_this(), std::move(state));
}

// ---- reading ----

void MuxCarrier::do_read() {
    if (state_ == CarrierState::closed) return;
    if (in_length_ == in_.size()) {
        close("read buffer full (frame larger than the buffer)");
        return;
    }
    // The channel keeps this handler while it waits: a weak reference, or carrier and
    // channel would own each other. The carrier's owners (the pool's slot, the server's
    // list, its streams' handles) keep it alive.
    tls_->async_read_some(
        std::span(in_.data() + in_length_, in_.size() - in_length_),
        [weak = weak_from_this()](const boost::system::error_code& ec, std::size_t n) {
            if (auto self = weak.lock()) self->on_read(ec, n);
        });
}

void MuxCarrier::on_read(const boost::system::error_code& ec, std::size_t n) {
    if (state_ == CarrierState::closed) return;
    if (ec) {
        close(ec == boost::asio::error::eof ? "the server closed the connection"
                                            : "read: " + ec.message());
        return;
    }
    last_received_ = std::chrono::steady_clock::now();
    in_length_ += n;
    std::size_t offset = 0;
    if (auth_ok_pending_) {
        Key proof;
        std::size_t consumed = 0;
        const auto status = parse_auth_message({in_.data(), in_length_}, proof, consumed);
        if (status == AuthParse::incomplete) {
            do_read();
            return;
        }
        if (status == AuthParse::invalid || !proofs_equal(proof, expected_server_proof_)) {
            close("the server did not prove the password (wrong password on either side?)");
            return;
        }
        auth_ok_pending_ = false;
        offset = consumed;
        if (state_ == CarrierState::authenticating) state_ = CarrierState::ready;
        if (on_ready_) on_ready_(*this);
        if (state_ == CarrierState::closed) return;
    }
    while (offset < in_length_) {
        Frame frame;
        std::size_t consumed = 0;
        std::string error;
        const auto status =
            parse_frame({in_.data() + offset, in_length_ - offset}, frame, consumed, error);
        if (status == ParseStatus::incomplete) break;
        if (status == ParseStatus::invalid) {
            append_goaway(out_, ResultCode::failure, "protocol error");
            flush();
            close("protocol error: " + error);
            return;
        }
        offset += consumed;
        if (!handle_frame(frame)) return;  // closed
    }
    if (offset > 0) {
        std::memmove(in_.data(), in_.data() + offset, in_length_ - offset);
        in_length_ -= offset;
    }
    do_read();
}

bool MuxCarrier::handle_frame(const Frame& frame) {
    auto protocol_error = [&](const std::string& what) {
        append_goaway(out_, ResultCode::failure, "protocol error");
        flush();
        close("protocol error: " + what);
        return false;
    };
    switch (frame.type) {
        case FrameType::ping: {
            std::array<std::uint8_t, 8> payload{};
            std::memcpy(payload.data(), frame.payload.data(), 8);
            append_pong(out_, payload);
            flush();
            return true;
        }
        case FrameType::pong:
            rtt_.on_pong(frame.payload, std::chrono::steady_clock::now());
            return true;
        case FrameType::goaway: {
            CodeReason why;
            std::string error;
            parse_code_reason(frame.payload, why, error);
            if (state_ != CarrierState::closed) state_ = CarrierState::draining;
            spdlog::info("mux {}: the peer is going away ({})", label_,
                         why.reason.empty() ? std::string(to_string(why.code)) : why.reason);
            if (streams_.empty()) close("goaway");
            return state_ != CarrierState::closed;
        }
        case FrameType::open:
            if (role_ != CarrierRole::server) return protocol_error("OPEN from the server");
            return handle_open(frame);
        case FrameType::open_result:
            if (role_ != CarrierRole::client) return protocol_error("OPEN_RESULT from the client");
            break;
        default:
            break;
    }
    const auto stream = find(frame.stream);
    if (!stream) return true;  // a stream we already ended: frames were in flight
    switch (frame.type) {
        case FrameType::open_result: {
            CodeReason result;
            std::string error;
            if (!parse_code_reason(frame.payload, result, error)) return protocol_error(error);
            if (result.code == ResultCode::ok) {
                if (stream->phase == StreamPhase::opening) stream->phase = StreamPhase::open;
            } else {
                handle_end(*stream, false, &result);
            }
            return true;
        }
        case FrameType::data:
            handle_data(*stream, frame);
            return true;
        case FrameType::window_update:
            stream->send_credit += window_increment(frame);
            stream->waiting_credit = false;
            if (stream->write_handler) pump_write(*stream);
            return true;
        case FrameType::fin:
            handle_end(*stream, true, nullptr);
            return true;
        case FrameType::reset: {
            CodeReason result;
            std::string error;
            if (!parse_code_reason(frame.payload, result, error)) return protocol_error(error);
            handle_end(*stream, false, &result);
            return true;
        }
        case FrameType::datagram: {
            DatagramPayload datagram;
            std::string error;
            if (!parse_datagram(frame.payload, datagram, error)) return protocol_error(error);
            if (stream->on_datagram && !stream->detached) stream->on_datagram(datagram);
            return state_ != CarrierState::closed;
        }
        default:
            return true;
    }
}

bool MuxCarrier::handle_open(const Frame& frame) {
    OpenPayload open;
    std::string error;
    if (!parse_open(frame.payload, open, error)) {
        append_goaway(out_, ResultCode::failure, "protocol error");
        flush();
        close("protocol error: " + error);
        return false;
    }
    if (streams_.count(frame.stream) != 0) {
        append_goaway(out_, ResultCode::failure, "protocol error");
        flush();
        close("protocol error: OPEN for stream " + std::to_string(frame.stream) + " in use");
        return false;
    }
    auto state = add_stream(frame.stream, open.network);
    if (state_ != CarrierState::ready || streams_.size() > options_.max_streams) {
        stream_refuse(*state, ResultCode::too_many_streams,
                      state_ == CarrierState::ready ? "too many streams" : "going away");
        return true;
    }
    if (on_open_) on_open_(std::make_unique<MuxStream>(shared_from_this(), state), open);
    return state_ != CarrierState::closed;
}

void MuxCarrier::handle_data(StreamState& stream, const Frame& frame) {
    if (stream.received_end) return;  // after the peer's own end: ignore (it broke the rules)
    if (frame.payload.size() > stream.granted) {
        // This stream alone broke its window: reset it, the others go on.
        stream_abort(stream, ResultCode::flow_control, "window exceeded");
        fail_stream(stream, reset_error(), "the peer exceeded the stream's window");
        return;
    }
    stream.granted -= frame.payload.size();
    if (stream.detached || stream.error) return;
    stream.received.emplace_back(frame.payload.data(), frame.payload.data() + frame.payload.size());
    stream.buffered += frame.payload.size();
    total_buffered_ += frame.payload.size();
    notify_reader(stream);
}

// The peer ended its direction: FIN, RESET, or a failed OPEN_RESULT.
void MuxCarrier::handle_end(StreamState& stream, bool fin, const CodeReason* failure) {
    if (stream.received_end) return;
    stream.received_end = true;
    auto self = find(stream.id);  // keeps the state alive through maybe_free
    if (fin) {
        stream.received_fin = true;
        notify_reader(stream);
        if (stream.on_end) {
            auto on_end = std::move(stream.on_end);
            on_end({}, "finished");
        }
    } else {
        if (!stream.sent_end) {
            append_reset(out_, stream.id, ResultCode::cancelled, "");
            stream.sent_end = true;
            stream.sent_reset = true;
            flush();
        }
        const std::string reason =
            failure->reason.empty() ? std::string(to_string(failure->code)) : failure->reason;
        const auto ec = failure->code == ResultCode::refused
                            ? make_error_code(boost::asio::error::connection_refused)
                        : failure->code == ResultCode::not_allowed
                            ? make_error_code(boost::asio::error::access_denied)
                            : reset_error();
        fail_stream(stream, ec, reason);
    }
    maybe_free(stream);
}

void MuxCarrier::notify_reader(StreamState& stream) {
    if (!stream.read_waiter) return;
    boost::asio::post(executor_, [handler = std::move(stream.read_waiter)] { handler({}); });
    stream.read_waiter = nullptr;
}

// Unread bytes go; the carrier's count loses them unless maybe_free took them off already.
void MuxCarrier::drop_received(StreamState& stream) {
    if (stream.phase != StreamPhase::closed) total_buffered_ -= stream.buffered;
    stream.buffered = 0;
    stream.received.clear();
    stream.received_offset = 0;
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

void MuxCarrier::maybe_free(StreamState& stream) {
    // Once only: a handle that closes or aborts a stream already freed must not release
    // the id (or erase the table entry) of a newer stream that was given the same id.
    if (!stream.sent_end || !stream.received_end || stream.phase == StreamPhase::closed) return;
    stream.phase = StreamPhase::closed;
    // Bytes the handle has not read yet stay with it (the peer's FIN may arrive before the
    // application read the last data); they just stop counting against the carrier.
    total_buffered_ -= stream.buffered;
    window_growth_ -= stream.window.grown();
    if (stream.detached || stream.error) {
        stream.buffered = 0;
        stream.received.clear();
    }
    const std::uint16_t id = stream.id;
    const auto it = streams_.find(id);
    if (it == streams_.end() || it->second.get() != &stream) return;
    if (role_ == CarrierRole::client) ids_.release(id);
    streams_.erase(it);   // the handle may still hold the state
    send_owed_updates();  // its bytes no longer count: updates held by the cap may go
    if (state_ == CarrierState::draining && streams_.empty()) close("drained");
}

// ---- writing ----

void MuxCarrier::flush() {
    if (writing_now_ || out_.empty() || state_ == CarrierState::closed) return;
    writing_now_ = true;
    writing_.swap(out_);
    out_.clear();
    // TlsChannel encrypts it all now and completes once the socket took the ciphertext:
    // that completion is the carrier's backpressure.
    tls_->async_write(writing_,
                      [weak = weak_from_this()](const boost::system::error_code& ec, std::size_t) {
                          if (auto self = weak.lock()) self->on_written(ec);
                      });
}

void MuxCarrier::on_written(const boost::system::error_code& ec) {
    writing_now_ = false;
    writing_.clear();
    if (state_ == CarrierState::closed) return;
    if (ec) {
        close("write: " + ec.message());
        return;
    }
    resume_writers();
    flush();
}

void MuxCarrier::resume_writers() {
    while (!waiting_room_.empty() && out_.size() < kHighWater) {
        auto stream = waiting_room_.front().lock();
        waiting_room_.pop_front();
        if (!stream) continue;
        stream->waiting_carrier = false;
        if (stream->write_handler) pump_write(*stream);
    }
}

void MuxCarrier::stream_write(const std::shared_ptr<StreamState>& stream) {
    pump_write(*stream);
}

// Copies the stream's pending write into DATA frames as far as credit and queue room allow.
void MuxCarrier::pump_write(StreamState& s) {
    if (state_ == CarrierState::closed || s.error) return;
    while (s.write_index < s.write_buffers.size()) {
        if (s.send_credit == 0) {
            if (!s.waiting_credit) {
                s.waiting_credit = true;
                s.waiting_since = std::chrono::steady_clock::now();
            }
            break;
        }
        if (out_.size() >= kHighWater) {
            if (!s.waiting_carrier) {
                s.waiting_carrier = true;
                waiting_room_.push_back(find(s.id));
            }
            break;
        }
        const auto& buffer = s.write_buffers[s.write_index];
        const std::size_t left = buffer.size() - s.write_offset;
        if (left == 0) {
            ++s.write_index;
            s.write_offset = 0;
            continue;
        }
        const std::size_t n =
            std::min({left, kMaxDataFrame, static_cast<std::size_t>(s.send_credit)});
        append_data_header(out_, s.id, static_cast<std::uint16_t>(n));
        const auto* bytes = static_cast<const std::uint8_t*>(buffer.data()) + s.write_offset;
        out_.insert(out_.end(), bytes, bytes + n);
        s.write_offset += n;
        s.write_total += n;
        s.send_credit -= n;
    }
    flush();
    if (s.write_index < s.write_buffers.size() || !s.write_handler) return;
    s.write_buffers.clear();
    boost::asio::post(
        executor_, [handler = std::move(s.write_handler), n = s.write_total] { handler({}, n); });
    s.write_handler = nullptr;
    if (s.fin_after_write) {
        s.fin_after_write = false;
        stream_shutdown(s);
    }
}

void MuxCarrier::stream_consumed(StreamState& stream, std::size_t bytes) {
    // A freed stream's unread bytes were taken off the carrier's count already.
    if (stream.phase == StreamPhase::closed) return;
    total_buffered_ -= bytes;
    stream.consumed_unreported += static_cast<std::uint32_t>(bytes);
    // Only the peer's end stops its data; our own FIN does not (a half-closed stream
    // still downloads, and needs credit for it).
    if (stream.received_end || stream.sent_reset) return;
    if (!stream.window.update_due(stream.consumed_unreported)) return;
    if (total_buffered_ > options_.session_cap) {
        owed_updates_.push_back(find(stream.id));
        return;
    }
    send_window_update(stream);
    send_owed_updates();
}

void MuxCarrier::send_window_update(StreamState& stream) {
    if (stream.consumed_unreported == 0 || stream.sent_reset || stream.received_end) return;
    const auto now = std::chrono::steady_clock::now();
    const std::size_t budget =
        options_.session_cap > window_growth_ ? options_.session_cap - window_growth_ : 0;
    const std::uint32_t extra =
        stream.window.on_update(now, stream.consumed_unreported, rtt_.minimum(), budget);
    window_growth_ += extra;
    const std::uint32_t increment = stream.consumed_unreported + extra;
    append_window_update(out_, stream.id, increment);
    stream.granted += increment;
    stream.consumed_unreported = 0;
    if (rtt_.wants_probe(now, options_.rtt_refresh)) send_ping();
    flush();
}

void MuxCarrier::send_owed_updates() {
    if (owed_updates_.empty() || total_buffered_ > options_.session_cap) return;
    auto owed = std::move(owed_updates_);
    owed_updates_.clear();
    for (auto& weak : owed) {
        if (auto stream = weak.lock()) send_window_update(*stream);
    }
}

void MuxCarrier::stream_shutdown(StreamState& stream) {
    if (stream.sent_end || state_ == CarrierState::closed) return;
    stream.sent_end = true;
    stream.sent_fin = true;
    append_fin(out_, stream.id);
    flush();
    maybe_free(stream);
}

void MuxCarrier::stream_abort(StreamState& stream, ResultCode code, std::string_view reason) {
    if (state_ == CarrierState::closed) return;
    auto keep = find(stream.id);
    // Our end if we sent none; after our FIN, a RESET aborts the peer's direction if it is
    // still open (docs/mux.md, "States").
    if (!stream.sent_end || (stream.sent_fin && !stream.received_end && !stream.sent_reset)) {
        append_reset(out_, stream.id, code, reason);
        flush();
        stream.sent_end = true;
        stream.sent_reset = true;
    }
    drop_received(stream);
    stream.detached = true;
    maybe_free(stream);
}

void MuxCarrier::stream_accept(StreamState& stream) {
    if (stream.phase != StreamPhase::opening || stream.sent_end) return;
    stream.phase = StreamPhase::open;
    append_open_result(out_, stream.id, ResultCode::ok, "");
    flush();
}

void MuxCarrier::stream_refuse(StreamState& stream, ResultCode code, std::string_view reason) {
    if (stream.sent_end) return;
    auto keep = find(stream.id);
    append_open_result(out_, stream.id, code, reason);
    flush();
    stream.sent_end = true;
    stream.detached = true;
    drop_received(stream);
    maybe_free(stream);
}

bool MuxCarrier::stream_datagram(StreamState& stream, const HostPort& address,
                                 std::span<const std::uint8_t> data) {
    if (state_ == CarrierState::closed || queued_bytes() > kDatagramLimit) return false;
    if (!append_datagram(out_, stream.id, address, data)) return false;
    flush();
    return true;
}

// ---- life ----

// A PING that is also the round-trip probe (keepalive and window growth share it).
void MuxCarrier::send_ping() {
    const auto payload = rtt_.start_probe(std::chrono::steady_clock::now());
    append_ping(out_, payload);
}

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
    // Writers that waited for credit too long: the peer stopped reading or updating.
    std::vector<std::shared_ptr<StreamState>> stalled;
    for (const auto& [id, stream] : streams_) {
        if (stream->write_handler && stream->waiting_credit &&
            now - stream->waiting_since >= options_.stall_limit)
            stalled.push_back(stream);
    }
    for (const auto& stream : stalled) {
        stream_abort(*stream, ResultCode::stalled, "no window update");
        fail_stream(*stream, make_error_code(boost::asio::error::timed_out),
                    "the peer gave no window for too long");
    }
    arm_tick();
}

void MuxCarrier::drain(const std::string& reason) {
    if (state_ == CarrierState::closed || state_ == CarrierState::draining) return;
    state_ = CarrierState::draining;
    append_goaway(out_, ResultCode::ok, reason);
    flush();
    if (streams_.empty()) close(reason);
}

void MuxCarrier::close(const std::string& reason) {
    if (state_ == CarrierState::closed) return;
    state_ = CarrierState::closed;
    tick_.cancel();
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, stream] : streams) {
        fail_stream(*stream, make_error_code(boost::asio::error::connection_aborted),
                    "carrier closed: " + reason);
        stream->carrier = nullptr;
        stream->phase = StreamPhase::closed;
    }
    waiting_room_.clear();
    owed_updates_.clear();
    total_buffered_ = 0;
    window_growth_ = 0;
    // No TLS shutdown handshake: the socket goes, which the peer sees as the carrier dying.
    tls_->close();
    spdlog::debug("mux {}: carrier closed: {}", label_, reason);
    if (on_closed_) {
        auto handler = std::move(on_closed_);
        on_closed_ = nullptr;
        boost::asio::post(executor_, [self = shared_from_this(), handler = std::move(handler),
                                      reason] { handler(*self, reason); });
    }
}

}  // namespace shunt::outbound::mux

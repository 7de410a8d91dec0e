// MuxCarrier's writing half: the outgoing frame queue and its one TLS write at a time,
// the handle's writes copied in as credit and queue room allow, the credit we return
// (WINDOW_UPDATE, held while the session cap is exceeded), and the ends the handle asks
// for (FIN, RESET, OPEN_RESULT).
#include <algorithm>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "outbound/mux/session/mux_carrier.hpp"

namespace shunt::outbound::mux {

namespace {

// Stream writes are copied in while the outgoing queue is below this; above it writers
// wait. Large enough for TLS to write 16 KiB records back to back, small enough that one
// fast stream cannot queue seconds of data ahead of the others.
constexpr std::size_t kHighWater = 512 * 1024;
// DATAGRAM frames are dropped above this (UDP may be lost; it must not queue).
constexpr std::size_t kDatagramLimit = 1024 * 1024;
constexpr std::size_t kMaxDataFrame = 32 * 1024;

}  // namespace

void MuxCarrier::flush() {
    if (writing_now_ || out_.empty()) return;
    if (state_ == CarrierState::closed && !lingering_) return;
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
    if (state_ == CarrierState::closed) {
        // After a protocol error: the GOAWAY is out (or cannot go); now the socket closes.
        if (lingering_ && !ec && !out_.empty()) return flush();
        return stop_lingering();
    }
    if (ec) {
        close("write: " + ec.message());
        return;
    }
    resume_writers();
    flush();
    if (reading_paused_ && queued_bytes() <= kReadPauseQueue / 2) {
        reading_paused_ = false;
        do_read();
    }
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

// Writers that waited for credit too long: the peer stopped reading or updating.
void MuxCarrier::abort_stalled_writers(std::chrono::steady_clock::time_point now) {
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
}

// ---- credit we return ----

void MuxCarrier::stream_consumed(StreamState& stream, std::size_t bytes) {
    // A freed stream's unread bytes were taken off the carrier's count already.
    if (stream.phase == StreamPhase::closed) return;
    total_buffered_ -= bytes;
    stream.consumed_unreported += static_cast<std::uint32_t>(bytes);
    // Updates the cap held back go as soon as the data held is under it again, whichever
    // stream's read took it there: waiting for this stream's own update to fall due left
    // the others' senders without credit (stalled) while nothing was over the cap.
    send_owed_updates();
    // Only the peer's end (or our RESET) stops its data; our own FIN does not (a
    // half-closed stream still downloads, and needs credit for it).
    if (!takes_data(stream.phase)) return;
    if (!stream.window.update_due(stream.consumed_unreported)) return;
    if (total_buffered_ > options_.session_cap) {
        owed_updates_.push_back(find(stream.id));
        return;
    }
    send_window_update(stream);
}

void MuxCarrier::send_window_update(StreamState& stream) {
    if (stream.consumed_unreported == 0 || !takes_data(stream.phase)) return;
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

// A PING that is also the round-trip probe (keepalive and window growth share it).
void MuxCarrier::send_ping() {
    const auto payload = rtt_.start_probe(std::chrono::steady_clock::now());
    append_ping(out_, payload);
}

// ---- the ends the handle asks for ----

void MuxCarrier::stream_shutdown(StreamState& stream) {
    if (sent_end(stream.phase) || state_ == CarrierState::closed) return;
    append_fin(out_, stream.id);
    flush();
    advance(stream, StreamEvent::fin_sent);
}

void MuxCarrier::stream_abort(StreamState& stream, ResultCode code, std::string_view reason) {
    if (state_ == CarrierState::closed) return;
    auto keep = find(stream.id);
    // Our end if we sent none; after our FIN, a RESET aborts the peer's direction if it is
    // still open (docs/mux.md, "States").
    if (may_reset(stream.phase)) {
        append_reset(out_, stream.id, code, reason);
        flush();
        advance(stream, StreamEvent::reset_sent);
    }
    drop_received(stream);
}

void MuxCarrier::stream_accept(StreamState& stream) {
    if (stream.phase != StreamPhase::opening &&
        stream.phase != StreamPhase::opening_half_closed_remote)
        return;
    append_open_result(out_, stream.id, ResultCode::ok, "");
    flush();
    advance(stream, StreamEvent::result_ok);
}

void MuxCarrier::stream_refuse(StreamState& stream, ResultCode code, std::string_view reason) {
    if (sent_end(stream.phase)) return;
    auto keep = find(stream.id);
    append_open_result(out_, stream.id, code, reason);
    flush();
    advance(stream, StreamEvent::reset_sent);
    drop_received(stream);
}

bool MuxCarrier::stream_datagram(StreamState& stream, const HostPort& address,
                                 std::span<const std::uint8_t> data) {
    if (state_ == CarrierState::closed || queued_bytes() > kDatagramLimit) return false;
    if (!append_datagram(out_, stream.id, address, data)) return false;
    flush();
    return true;
}

}  // namespace shunt::outbound::mux

// MuxCarrier's reading half: bytes from TLS, the peer's AUTH_OK (client), then frames,
// each turned into what it means for the carrier or its stream. Every protocol error ends
// in protocol_error(); frames for a stream that is no longer in the table were in flight
// and are ignored (docs/mux.md, "Frames").
#include <cstring>

#include <spdlog/spdlog.h>
#include <boost/asio/error.hpp>

#include "outbound/mux/session/mux_carrier.hpp"
#include "outbound/mux/session/mux_stream.hpp"

namespace shunt::outbound::mux {

namespace {

boost::system::error_code reset_error() {
    return make_error_code(boost::asio::error::connection_reset);
}

// What a stream's reads report when the peer ended it with `failure`.
boost::system::error_code failure_error(ResultCode code) {
    switch (code) {
        case ResultCode::refused:
            return make_error_code(boost::asio::error::connection_refused);
        case ResultCode::not_allowed:
            return make_error_code(boost::asio::error::access_denied);
        default:
            return reset_error();
    }
}

}  // namespace

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
        const auto consumed = read_auth_ok();
        if (state_ == CarrierState::closed) return;
        if (consumed == 0) {
            do_read();  // incomplete
            return;
        }
        offset = consumed;
    }
    while (offset < in_length_) {
        Frame frame;
        std::size_t consumed = 0;
        std::string error;
        const auto status =
            parse_frame({in_.data() + offset, in_length_ - offset}, frame, consumed, error);
        if (status == ParseStatus::incomplete) break;
        if (status == ParseStatus::invalid) return protocol_error(error);
        offset += consumed;
        handle_frame(frame);
        if (state_ == CarrierState::closed) return;
    }
    if (offset > 0) {
        std::memmove(in_.data(), in_.data() + offset, in_length_ - offset);
        in_length_ -= offset;
    }
    // Our answers pile up while the peer does not read them: stop reading its frames
    // until they drain (on_written resumes), so the queue stays bounded.
    if (queued_bytes() > kReadPauseQueue) {
        reading_paused_ = true;
        return;
    }
    do_read();
}

// Client: the server's AUTH_OK at the start of the input. The bytes it took; 0 while it
// is incomplete (or when it failed: the carrier is closed then).
std::size_t MuxCarrier::read_auth_ok() {
    Key proof;
    std::size_t consumed = 0;
    const auto status = parse_auth_message({in_.data(), in_length_}, proof, consumed);
    if (status == AuthParse::incomplete) return 0;
    if (status == AuthParse::invalid || !proofs_equal(proof, expected_server_proof_)) {
        close("the server did not prove the password (wrong password on either side?)");
        return 0;
    }
    auth_ok_pending_ = false;
    if (state_ == CarrierState::authenticating) state_ = CarrierState::ready;
    if (on_ready_) on_ready_(*this);
    return consumed;
}

void MuxCarrier::handle_frame(const Frame& frame) {
    switch (frame.type) {
        case FrameType::ping: {
            std::array<std::uint8_t, kPingSize> payload{};
            std::memcpy(payload.data(), frame.payload.data(), kPingSize);
            append_pong(out_, payload);
            flush();
            return;
        }
        case FrameType::pong:
            // Our probe's answer; after our GOAWAY, also the sign that every OPEN the peer
            // sent before reading it has arrived (drain()).
            if (rtt_.on_pong(frame.payload, std::chrono::steady_clock::now()) &&
                goaway_unacknowledged_) {
                goaway_unacknowledged_ = false;
                if (streams_.empty()) close("drained");
            }
            return;
        case FrameType::goaway: {
            CodeReason why;
            std::string error;
            parse_code_reason(frame.payload, why, error);
            state_ = CarrierState::draining;
            spdlog::info("mux {}: the peer is going away ({})", label_,
                         why.reason.empty() ? std::string(to_string(why.code)) : why.reason);
            if (streams_.empty()) close("goaway");
            return;
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
    const auto stream = find(frame.stream);  // held: an end may take it out of the table
    if (!stream) return;                     // a stream we already ended: frames were in flight
    handle_stream_frame(*stream, frame);
}

void MuxCarrier::handle_stream_frame(StreamState& stream, const Frame& frame) {
    std::string error;
    switch (frame.type) {
        case FrameType::open_result: {
            CodeReason result;
            if (!parse_code_reason(frame.payload, result, error)) return protocol_error(error);
            if (result.code == ResultCode::ok)
                advance(stream, StreamEvent::result_ok);
            else
                handle_failure(stream, result);
            return;
        }
        case FrameType::data:
            return handle_data(stream, frame);
        case FrameType::window_update:
            stream.send_credit += window_increment(frame);
            stream.waiting_credit = false;
            if (stream.write_handler) pump_write(stream);
            return;
        case FrameType::fin:
            return handle_fin(stream);
        case FrameType::reset: {
            CodeReason result;
            if (!parse_code_reason(frame.payload, result, error)) return protocol_error(error);
            return handle_failure(stream, result);
        }
        case FrameType::datagram: {
            DatagramPayload datagram;
            if (!parse_datagram(frame.payload, datagram, error)) return protocol_error(error);
            if (stream.on_datagram && takes_data(stream.phase)) stream.on_datagram(datagram);
            return;
        }
        default:
            return;
    }
}

void MuxCarrier::handle_open(const Frame& frame) {
    OpenPayload open;
    std::string error;
    if (!parse_open(frame.payload, open, error)) return protocol_error(error);
    if (streams_.count(frame.stream) != 0)
        return protocol_error("OPEN for stream " + std::to_string(frame.stream) + " in use");
    auto state = add_stream(frame.stream);
    // After our GOAWAY, OPENs the peer sent before it read it (they come before its PONG,
    // see drain()) are still served; later ones are refused.
    const bool taking = state_ == CarrierState::ready ||
                        (state_ == CarrierState::draining && goaway_unacknowledged_);
    if (!taking || streams_.size() > options_.max_streams) {
        stream_refuse(*state, ResultCode::too_many_streams,
                      taking ? "too many streams" : "going away");
        return;
    }
    if (on_open_) on_open_(std::make_unique<MuxStream>(shared_from_this(), state), open);
}

void MuxCarrier::handle_data(StreamState& stream, const Frame& frame) {
    if (received_end(stream.phase)) return;  // after the peer's own end: it broke the rules
    if (frame.payload.size() > stream.granted) {
        // This stream alone broke its window: reset it, the others go on.
        stream_abort(stream, ResultCode::flow_control, "window exceeded");
        fail_stream(stream, reset_error(), "the peer exceeded the stream's window");
        return;
    }
    stream.granted -= frame.payload.size();
    // In "reset sent" the data was in flight: dropped, no credit returned.
    if (!takes_data(stream.phase) || stream.error) return;
    stream.received.append(frame.payload);
    stream.buffered += frame.payload.size();
    total_buffered_ += frame.payload.size();
    notify_reader(stream);
}

// The peer ended its direction with FIN: reads reach EOF once the buffered bytes are read.
void MuxCarrier::handle_fin(StreamState& stream) {
    if (received_end(stream.phase)) return;
    advance(stream, StreamEvent::fin_received);
    notify_reader(stream);
    if (stream.on_end) {
        auto on_end = std::move(stream.on_end);
        on_end({}, "finished");
    }
}

// The peer ended the stream with RESET or a failed OPEN_RESULT: both directions stop,
// answered by our RESET unless we sent our end already.
void MuxCarrier::handle_failure(StreamState& stream, const CodeReason& failure) {
    if (received_end(stream.phase)) return;
    if (!sent_end(stream.phase)) {
        append_reset(out_, stream.id, ResultCode::cancelled, "");
        flush();
    }
    advance(stream, StreamEvent::reset_received);
    fail_stream(stream, failure_error(failure.code),
                failure.reason.empty() ? std::string(to_string(failure.code)) : failure.reason);
}

}  // namespace shunt::outbound::mux

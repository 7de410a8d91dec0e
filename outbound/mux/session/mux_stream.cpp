#include "outbound/mux/session/mux_stream.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "outbound/mux/session/mux_carrier.hpp"

namespace shunt::outbound::mux {

MuxStream::MuxStream(std::shared_ptr<MuxCarrier> carrier, std::shared_ptr<StreamState> state)
    : carrier_(std::move(carrier)), state_(std::move(state)) {}

MuxStream::~MuxStream() {
    // Closed (both ends done) needs nothing more; otherwise the stream is aborted.
    close(state_->phase == StreamPhase::closed);
}

void MuxStream::async_write(std::vector<boost::asio::const_buffer> buffers, WriteHandler handler) {
    auto& s = *state_;
    if (s.error || s.carrier == nullptr || sent_end(s.phase)) {
        const auto ec = s.error ? s.error : make_error_code(boost::asio::error::broken_pipe);
        boost::asio::post(carrier_->executor(),
                          [handler = std::move(handler), ec] { handler(ec, 0); });
        return;
    }
    s.write_buffers = std::move(buffers);
    s.write_index = 0;
    s.write_offset = 0;
    s.write_total = 0;
    s.write_handler = std::move(handler);
    carrier_->stream_write(state_);
}

void MuxStream::async_wait_readable(WaitHandler handler) {
    auto& s = *state_;
    if (s.readable() || s.carrier == nullptr) {
        boost::asio::post(carrier_->executor(), [handler = std::move(handler)] { handler({}); });
        return;
    }
    s.read_waiter = std::move(handler);
}

std::size_t MuxStream::read_some(std::span<std::uint8_t> into, boost::system::error_code& ec) {
    auto& s = *state_;
    ec.clear();
    if (s.buffered == 0) {
        if (s.error)
            ec = s.error;
        else if (received_end(s.phase))
            ec = boost::asio::error::eof;
        else if (s.carrier == nullptr)
            ec = boost::asio::error::connection_aborted;
        else
            ec = boost::asio::error::would_block;
        return 0;
    }
    const std::size_t copied = s.received.read(into);
    s.buffered -= copied;
    if (defer_consumption_)
        s.taken_unconsumed += copied;
    else if (s.carrier != nullptr)
        s.carrier->stream_consumed(s, copied);
    return copied;
}

void MuxStream::consumed(std::size_t bytes) {
    auto& s = *state_;
    // Bytes of a stream the carrier freed meanwhile were taken off its count then.
    bytes = std::min(bytes, s.taken_unconsumed);
    s.taken_unconsumed -= bytes;
    if (bytes > 0 && s.carrier != nullptr) s.carrier->stream_consumed(s, bytes);
}

void MuxStream::shutdown_send() {
    auto& s = *state_;
    if (s.write_handler) {
        s.fin_after_write = true;  // after the bytes still being copied
        return;
    }
    if (s.carrier != nullptr) s.carrier->stream_shutdown(s);
}

void MuxStream::close(bool graceful) {
    if (closed_) return;
    closed_ = true;
    auto& s = *state_;
    s.read_waiter = nullptr;
    s.write_handler = nullptr;
    s.on_datagram = nullptr;
    s.on_end = nullptr;
    if (s.carrier == nullptr) return;
    if (graceful && !s.error) {
        s.carrier->stream_shutdown(s);
        // The peer is still sending and nobody will read it: abort its direction rather than
        // let it stall on credit that never comes back (RESET may follow our FIN).
        if (!received_end(s.phase)) s.carrier->stream_abort(s, ResultCode::cancelled, "closed");
    } else {
        s.carrier->stream_abort(s, ResultCode::cancelled, "closed");
    }
    // Now in "reset sent" or "closed": data that still arrives is dropped.
}

void MuxStream::accept() {
    if (state_->carrier != nullptr) state_->carrier->stream_accept(*state_);
}

void MuxStream::refuse(ResultCode code, std::string_view reason) {
    if (state_->carrier != nullptr) state_->carrier->stream_refuse(*state_, code, reason);
}

bool MuxStream::send_datagram(const HostPort& address, std::span<const std::uint8_t> data) {
    if (state_->carrier == nullptr || sent_end(state_->phase) || state_->error) return false;
    return state_->carrier->stream_datagram(*state_, address, data);
}

void MuxStream::on_datagram(std::function<void(const DatagramPayload&)> handler) {
    state_->on_datagram = std::move(handler);
}

void MuxStream::on_end(
    std::function<void(const boost::system::error_code&, const std::string&)> handler) {
    state_->on_end = std::move(handler);
}

}  // namespace shunt::outbound::mux

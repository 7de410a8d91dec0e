// StreamState: everything one mux stream is, shared by the carrier's table (while the
// stream id is in use) and the MuxStream handle the relay holds (until it lets go). The
// carrier owns the protocol side (credit, ends, frames); the handle the application
// side (pending write, read waiter). All on the carrier's executor.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include "outbound/mux/protocol/frame.hpp"
#include "outbound/mux/session/receive_queue.hpp"
#include "outbound/mux/session/receive_window.hpp"
#include "outbound/mux/session/stream_phase.hpp"
#include "outbound/stream.hpp"

namespace shunt::outbound::mux {

class MuxCarrier;

struct StreamState {
    MuxCarrier* carrier = nullptr;  // null once the carrier is gone
    std::uint16_t id = 0;
    // Written only by MuxCarrier::advance (docs/mux.md, "States"); the ends a stream has
    // sent and received, and whether its data is still taken, are questions to it.
    StreamPhase phase = StreamPhase::opening;
    boost::system::error_code error;  // set once the stream failed (reads and writes report it)
    std::string reason;

    // Receiving: bytes the peer sent that the handle has not read yet, within our credit.
    ReceiveQueue received;
    std::size_t buffered = 0;  // unread bytes (received.size())
    // Read by a handle that defers consumption (MuxStream::defer_consumption) and not yet
    // reported consumed: they still count against the carrier's session cap.
    std::size_t taken_unconsumed = 0;
    std::uint32_t consumed_unreported = 0;  // read since our last WINDOW_UPDATE
    std::uint64_t granted = 0;              // credit the peer still has from us
    ReceiveWindow window;                   // how much credit it gets per round (grows)
    Stream::WaitHandler read_waiter;

    // Sending: the handle's write in progress, copied into the carrier as credit allows.
    std::vector<boost::asio::const_buffer> write_buffers;
    std::size_t write_index = 0;   // buffer being copied
    std::size_t write_offset = 0;  // bytes of it copied
    std::size_t write_total = 0;   // bytes copied so far (the handler's count)
    Stream::WriteHandler write_handler;
    bool fin_after_write = false;   // shutdown_send came while a write was in progress
    std::uint64_t send_credit = 0;  // bytes we may still send
    bool waiting_credit = false;
    std::chrono::steady_clock::time_point waiting_since{};
    bool waiting_carrier = false;  // in the carrier's queue of writers waiting for room

    // Datagrams (UDP streams): the handle's receiver.
    std::function<void(const DatagramPayload&)> on_datagram;
    // UDP streams: the stream failed or the peer ended it (once).
    std::function<void(const boost::system::error_code&, const std::string&)> on_end;

    // Something for read_some: bytes, the peer's end (EOF, or the error a RESET set), an error.
    bool readable() const { return buffered > 0 || received_end(phase) || error; }
};

}  // namespace shunt::outbound::mux

// MuxStream: the handle of one mux stream — what a TcpSession (client) or the server's
// relay holds. A TCP stream is an outbound::Stream; a UDP stream sends and receives
// DATAGRAM frames. The handle keeps the carrier alive; dropping it without a graceful
// close aborts the stream (RESET), so a relay that goes away never leaves a stream open.
#pragma once

#include <memory>
#include <span>

#include "outbound/mux/session/stream_state.hpp"
#include "outbound/stream.hpp"

namespace shunt::outbound::mux {

class MuxCarrier;

class MuxStream final : public Stream {
  public:
    MuxStream(std::shared_ptr<MuxCarrier> carrier, std::shared_ptr<StreamState> state);
    ~MuxStream() override;

    void async_write(std::vector<boost::asio::const_buffer> buffers, WriteHandler handler) override;
    void async_wait_readable(WaitHandler handler) override;
    std::size_t read_some(std::span<std::uint8_t> into, boost::system::error_code& ec) override;
    void defer_consumption() override { defer_consumption_ = true; }
    void consumed(std::size_t bytes) override;
    void shutdown_send() override;
    void close(bool graceful) override;

    // Server: the target is connected (OPEN_RESULT ok) / could not be reached.
    void accept();
    void refuse(ResultCode code, std::string_view reason);

    // UDP streams. send_datagram: false when dropped (carrier queue full or stream gone).
    bool send_datagram(const HostPort& address, std::span<const std::uint8_t> data);
    void on_datagram(std::function<void(const DatagramPayload&)> handler);
    // Called once when the stream fails or the peer ends it (UDP has no reads to report it).
    void on_end(std::function<void(const boost::system::error_code&, const std::string&)> handler);

    std::uint16_t id() const { return state_->id; }
    const std::string& reason() const { return state_->reason; }
    const boost::system::error_code& error() const { return state_->error; }

  private:
    std::shared_ptr<MuxCarrier> carrier_;
    std::shared_ptr<StreamState> state_;
    bool closed_ = false;
    bool defer_consumption_ = false;
};

}  // namespace shunt::outbound::mux

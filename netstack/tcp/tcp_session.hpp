// TcpSession: one TCP connection from an application, terminated by lwIP, relayed to an
// outbound stream (a socket, or a mux stream). The session is the only owner of its pcb; the
// two-way pump reports how it ended through CloseReason.
//
// Backpressure, both ways, with no per-session buffer while idle:
//  - app -> outbound: the pbufs lwIP hands us stay queued (zero copy) until the socket
//    took them; only then does tcp_recved() reopen the app's window. A slow outbound
//    therefore stops the app at lwIP's window (TCP_WND), never at our memory.
//  - outbound -> app: we wait for the socket to be readable, then read at most what
//    lwIP's send buffer can take (tcp_sndbuf) into one scratch buffer shared by all
//    sessions and copy it into lwIP, a few times while the socket has more, then send.
//    A slow app stops our reads.
// lwIP's callbacks never close the session directly (a pcb must not be freed under
// lwIP's feet); they post. After tcp_err the pcb is gone and is never touched again.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "flow/live_flow.hpp"
#include "net/ip_address.hpp"
#include "outbound/stream.hpp"

struct tcp_pcb;
struct pbuf;

namespace shunt::netstack {

enum class TcpSessionState : std::uint8_t {
    waiting_outbound,  // accepted; the route is being decided and dialed
    relaying,          // bytes flow both ways
    closed,
};

enum class CloseReason : std::uint8_t {
    done,             // both sides finished (FIN both ways)
    app_reset,        // the application reset (or lwIP gave up on it)
    outbound_reset,   // the outbound reset or failed mid-stream
    outbound_failed,  // no outbound: rejected, unknown fake IP, dial failed
    idle,             // no byte either way for the idle timeout
    shutdown,         // shunt is stopping
    killed,           // closed through the flow registry (the REST API)
};

std::string_view to_string(CloseReason reason);

struct TcpSessionOptions {
    std::chrono::seconds idle_timeout{300};
};

class TcpSession final : public std::enable_shared_from_this<TcpSession>, public flow::FlowOwner {
  public:
    using ClosedHandler = std::function<void(TcpSession&, CloseReason)>;

    // Takes the accepted pcb and sets its callbacks.
    TcpSession(boost::asio::any_io_executor executor, tcp_pcb* pcb, TcpSessionOptions options,
               ClosedHandler on_closed);
    ~TcpSession();
    TcpSession(const TcpSession&) = delete;
    TcpSession& operator=(const TcpSession&) = delete;

    // The application's side: source is the app, destination what it connected to.
    const Endpoint& source() const { return source_; }
    const Endpoint& destination() const { return destination_; }
    TcpSessionState state() const { return state_; }
    std::uint64_t id() const { return id_; }

    // The outbound is connected: start relaying. Once closed, the stream is aborted. The
    // live flow (may be null; the registry lists it with this session as its owner) counts
    // the bytes relayed each way.
    void attach(std::unique_ptr<outbound::Stream> stream,
                std::unique_ptr<flow::LiveFlow> live = nullptr);
    // No outbound: reset the application's connection, with the reason logged.
    void refuse(const std::string& reason);
    // Idempotent: ends the session, RST or FIN as the reason says, and reports once.
    void close(CloseReason reason);
    // The owner is going away: do not report the close to it.
    void forget_owner() { on_closed_ = nullptr; }
    // The flow registry ends the flow (the REST API): reset both ways.
    void close_flow() override { close(CloseReason::killed); }

    std::uint64_t bytes_to_outbound() const { return bytes_to_outbound_; }
    std::uint64_t bytes_to_app() const { return bytes_to_app_; }
    flow::LiveFlow* live_flow() const { return live_.get(); }

  private:
    struct Callbacks;  // lwIP's C callbacks
    friend struct Callbacks;

    void on_app_data(pbuf* p);
    void on_app_sent(std::uint16_t length);
    void on_app_error();

    void do_write_outbound();
    void on_write_outbound(const boost::system::error_code& ec, std::size_t written);
    void do_read_outbound();
    void on_outbound_readable(const boost::system::error_code& ec);
    bool queue_to_app(const std::uint8_t* data, std::size_t length);
    void finish_app_to_outbound();
    void maybe_done();
    void touch();
    void arm_idle_timer();
    void detach_pcb();

    boost::asio::any_io_executor executor_;
    tcp_pcb* pcb_;
    TcpSessionOptions options_;
    ClosedHandler on_closed_;
    std::unique_ptr<outbound::Stream> stream_;
    std::unique_ptr<flow::LiveFlow> live_;
    boost::asio::steady_timer idle_timer_;
    std::chrono::steady_clock::time_point last_activity_;
    Endpoint source_;
    Endpoint destination_;
    std::uint64_t id_;
    TcpSessionState state_ = TcpSessionState::waiting_outbound;

    std::deque<pbuf*> to_outbound_;       // app bytes not yet written to the socket
    std::size_t to_outbound_offset_ = 0;  // consumed bytes of the first pbuf
    bool writing_outbound_ = false;
    bool reading_outbound_ = false;
    bool waiting_app_space_ = false;
    std::vector<std::uint8_t> to_app_pending_;  // only when lwIP refused part of a write
    bool app_finished_ = false;                 // FIN from the app
    bool outbound_shut_ = false;                // our FIN sent to the outbound
    bool outbound_finished_ = false;            // EOF from the outbound (our FIN to the app sent)
    std::uint64_t bytes_to_outbound_ = 0;
    std::uint64_t bytes_to_app_ = 0;
};

}  // namespace shunt::netstack

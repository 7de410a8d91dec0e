// MuxCarrier: one authenticated TLS connection and the streams inside it (docs/mux.md).
// The client's pool and the server's listener both run one per connection; the roles
// differ only in who opens streams and in the first bytes (AUTH / AUTH_OK, done before
// or by the owner). Everything runs on one executor.
//
// Memory is bounded everywhere:
//  - the outgoing queue: a stream's write is copied in only while the queue is under
//    kHighWater; writers then wait (in order) until the TLS write drains it;
//  - per stream, we hold at most the credit we granted (256 KiB); a peer that sends more
//    gets that stream reset (code flow_control), the others go on;
//  - while all streams together hold more than the session cap, WINDOW_UPDATEs wait;
//  - frames we answer (PONG, RESET, refusals, WINDOW_UPDATE) are queued past kHighWater,
//    but past kReadPauseQueue nothing more is read until the queue drains: a peer that
//    sends PINGs and never reads cannot grow it without bound.
// close(reason) is idempotent: every stream fails at once with the reason, timers stop,
// the owner hears about it once. A protocol error is the one other way to end: GOAWAY
// (code 1) first, the same close after it.
//
// The class is written in three files: the core (mux_carrier.cpp: streams and their
// phases, keepalive, the end), the reading half (mux_carrier_reading.cpp) and the writing
// half (mux_carrier_writing.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "outbound/mux/protocol/auth.hpp"
#include "outbound/mux/protocol/frame.hpp"
#include "outbound/mux/session/rtt_estimator.hpp"
#include "outbound/mux/session/stream_ids.hpp"
#include "outbound/mux/session/stream_state.hpp"
#include "outbound/mux/session/tls_channel.hpp"

namespace shunt::outbound::mux {

class MuxStream;

enum class CarrierRole : std::uint8_t { client, server };
enum class CarrierState : std::uint8_t {
    authenticating,  // client: AUTH sent, AUTH_OK not yet checked (streams may already open)
    ready,
    draining,  // GOAWAY received or sent: no new streams
    closed,
};

struct CarrierOptions {
    std::uint32_t initial_window = 256 * 1024;
    // A stream's receive window may double up to this while its consumer keeps up
    // (docs/mux.md, "Window growth"); growth of all streams together stays within the cap.
    std::uint32_t max_window = 16 * 1024 * 1024;
    // A round-trip sample older than this is refreshed when a window update goes out.
    std::chrono::milliseconds rtt_refresh{5'000};
    std::size_t session_cap = 32 * 1024 * 1024;  // unread bytes of all streams
    std::chrono::milliseconds keepalive_interval{15'000};
    std::chrono::milliseconds keepalive_timeout{45'000};  // silence that kills the carrier
    // A writer without credit this long resets its stream. As long as the idle timeout of
    // a relayed connection: a reader paused for a while is legitimate, a peer that never
    // returns credit is not.
    std::chrono::milliseconds stall_limit{300'000};
    std::size_t max_streams = 65535;  // server: OPENs beyond are refused
};

class MuxCarrier : public std::enable_shared_from_this<MuxCarrier> {
  public:
    // Server: a new stream (OPEN). The handler connects the target and calls accept() or
    // refuse() on the handle; data the client sent ahead waits in the stream.
    using OpenHandler =
        std::function<void(std::unique_ptr<MuxStream> stream, const OpenPayload& open)>;
    using ClosedHandler = std::function<void(MuxCarrier&, const std::string& reason)>;
    using ReadyHandler = std::function<void(MuxCarrier&)>;

    // `tls` has finished its handshake. `label` names the carrier in logs.
    MuxCarrier(std::shared_ptr<TlsChannel> tls, CarrierRole role, CarrierOptions options,
               std::string label);
    ~MuxCarrier();
    MuxCarrier(const MuxCarrier&) = delete;
    MuxCarrier& operator=(const MuxCarrier&) = delete;

    // Client: sends AUTH with `proof` and expects AUTH_OK proving `expected_server_proof`.
    void start_client(const Key& proof, const Key& expected_server_proof, ReadyHandler on_ready,
                      ClosedHandler on_closed);
    // Server: the client's AUTH was verified; sends AUTH_OK with `proof`.
    void start_server(const Key& proof, OpenHandler on_open, ClosedHandler on_closed);

    // Client: a new stream to `address`; nullptr when the carrier cannot take one (closed,
    // draining, ids exhausted). DATA may be written at once (docs/mux.md, "Opening").
    std::unique_ptr<MuxStream> open_stream(Network network, const HostPort& address);

    // Idempotent. Every stream fails with "carrier closed: <reason>".
    void close(const std::string& reason);
    // Stop taking streams; GOAWAY to the peer.
    void drain(const std::string& reason);

    CarrierState state() const { return state_; }
    bool accepts_streams() const {
        return state_ == CarrierState::ready || state_ == CarrierState::authenticating;
    }
    std::size_t stream_count() const { return streams_.size(); }
    const std::string& label() const { return label_; }
    std::size_t queued_bytes() const { return out_.size() + writing_.size(); }
    std::size_t buffered_bytes() const { return total_buffered_; }

    // ---- used by MuxStream ----
    void stream_write(const std::shared_ptr<StreamState>& stream);
    void stream_consumed(StreamState& stream, std::size_t bytes);
    void stream_shutdown(StreamState& stream);
    void stream_abort(StreamState& stream, ResultCode code, std::string_view reason);
    void stream_accept(StreamState& stream);
    void stream_refuse(StreamState& stream, ResultCode code, std::string_view reason);
    // Datagram frames are not flow-controlled: false (dropped) when the queue is full.
    bool stream_datagram(StreamState& stream, const HostPort& address,
                         std::span<const std::uint8_t> data);
    boost::asio::any_io_executor executor() const { return executor_; }

  private:
    // Test-only: the fuzzer (tests/fuzz/mux_server_fuzz.cpp) reads the stream table and the
    // counters below to check the flow-control accounting (buffered bytes, credit, queue)
    // after every step; nothing else may reach in.
    friend class MuxCarrierInspector;

    // mux_carrier.cpp: streams, phases, life.
    void begin(const Key& proof);
    std::shared_ptr<StreamState> find(std::uint16_t id) const;
    std::shared_ptr<StreamState> add_stream(std::uint16_t id);
    void advance(StreamState& stream, StreamEvent event);
    void free_stream(StreamState& stream, StreamPhase before);
    void notify_reader(StreamState& stream);
    void drop_received(StreamState& stream);
    void fail_stream(StreamState& stream, const boost::system::error_code& ec, std::string reason);
    void arm_tick();
    void on_tick();
    void protocol_error(const std::string& what);
    void stop_lingering();
    void end(const std::string& reason);

    // mux_carrier_reading.cpp: frames in.
    void do_read();
    void on_read(const boost::system::error_code& ec, std::size_t n);
    std::size_t read_auth_ok();
    void handle_frame(const Frame& frame);
    void handle_stream_frame(StreamState& stream, const Frame& frame);
    void handle_open(const Frame& frame);
    void handle_data(StreamState& stream, const Frame& frame);
    void handle_fin(StreamState& stream);
    void handle_failure(StreamState& stream, const CodeReason& failure);

    // mux_carrier_writing.cpp: frames out, credit.
    void flush();
    void on_written(const boost::system::error_code& ec);
    void resume_writers();
    void pump_write(StreamState& stream);
    void abort_stalled_writers(std::chrono::steady_clock::time_point now);
    void send_window_update(StreamState& stream);
    void send_owed_updates();
    void send_ping();

    boost::asio::any_io_executor executor_;
    std::shared_ptr<TlsChannel> tls_;
    CarrierRole role_;
    CarrierOptions options_;
    std::string label_;
    CarrierState state_ = CarrierState::authenticating;
    Key expected_server_proof_{};
    bool auth_ok_pending_ = false;  // client: AUTH_OK not read yet
    OpenHandler on_open_;
    ClosedHandler on_closed_;
    ReadyHandler on_ready_;

    std::unordered_map<std::uint16_t, std::shared_ptr<StreamState>> streams_;
    StreamIdAllocator ids_;
    std::size_t total_buffered_ = 0;
    std::size_t window_growth_ = 0;  // receive windows' growth beyond initial, all streams
    RttEstimator rtt_;
    std::deque<std::weak_ptr<StreamState>> waiting_room_;   // writers waiting for queue space
    std::vector<std::weak_ptr<StreamState>> owed_updates_;  // withheld by the session cap

    std::vector<std::uint8_t> in_;
    std::size_t in_length_ = 0;
    std::vector<std::uint8_t> out_;      // frames not yet handed to TLS
    std::vector<std::uint8_t> writing_;  // frames TLS is writing
    bool writing_now_ = false;
    static constexpr std::size_t kReadPauseQueue = 2 * 1024 * 1024;
    bool reading_paused_ = false;  // queued_bytes() passed kReadPauseQueue
    bool lingering_ = false;
    bool goaway_unacknowledged_ =
        false;  // we sent GOAWAY; the PONG after it is not here  // closed after a protocol error;
                // the GOAWAY is still going out

    boost::asio::steady_timer tick_;
    std::chrono::steady_clock::time_point last_received_;
    std::chrono::steady_clock::time_point last_ping_;
};

}  // namespace shunt::outbound::mux

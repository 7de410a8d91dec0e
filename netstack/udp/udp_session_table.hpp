// Per-flow UDP sessions for packets from the TUN, handled outside lwIP: a session per
// (application source, destination) pair, each with its own UdpOutbound, full cone (replies
// from any remote reach the application), an idle timeout refreshed by traffic both ways,
// and a hard cap at which the least recently used session is closed.
//
// Single-threaded: every call and every outbound handler runs on the executor given at
// construction. One list ordered by last activity serves both the cap (evict the tail)
// and the idle timeout (one timer for the tail's deadline, armed only while sessions
// exist), so neither costs a timer or a scan per session.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/log_rate_limit.hpp"
#include "flow/live_flow.hpp"
#include "netstack/packet/ip_packet.hpp"
#include "netstack/packet/packet_writer.hpp"
#include "netstack/udp/udp_outbound.hpp"

namespace shunt::flow {
class FlowRegistry;
}

namespace shunt::netstack {

struct UdpSessionLimits {
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
    std::size_t max_sessions = 4096;
};

enum class UdpDropReason : std::uint8_t {
    malformed,  // not UDP, bad UDP length, port 0
    multicast,  // broadcast or multicast destination: not a flow to relay
    refused,    // the factory gave no outbound
    send_would_block,
    send_failed,
    reply_too_large,  // reply + headers do not fit one IP packet
    reply_family,     // reply from an address of the other family than the application's
};
inline constexpr std::size_t kUdpDropReasonCount = 7;
std::string_view to_string(UdpDropReason reason);

enum class UdpCloseReason : std::uint8_t { idle, evicted, outbound_error, killed, shutdown };
std::string_view to_string(UdpCloseReason reason);

struct UdpSessionCounters {
    std::uint64_t sessions_opened = 0;
    std::uint64_t sessions_closed = 0;
    std::uint64_t sessions_evicted = 0;  // closed at the cap (also in sessions_closed)
    std::uint64_t sessions_idle = 0;     // closed by the idle timeout
    std::uint64_t packets_out = 0;       // application -> remote, sent
    std::uint64_t bytes_out = 0;         // payload bytes
    std::uint64_t packets_in = 0;        // remote -> application, written to the TUN
    std::uint64_t bytes_in = 0;
    std::array<std::uint64_t, kUdpDropReasonCount> drops{};

    std::uint64_t dropped(UdpDropReason reason) const {
        return drops[static_cast<std::size_t>(reason)];
    }
};

class UdpSessionTable {
  public:
    // With a registry, every session's flow is listed there while it lives.
    UdpSessionTable(boost::asio::any_io_executor executor, UdpOutboundFactory factory,
                    PacketWriter writer, UdpSessionLimits limits = {},
                    flow::FlowRegistry* registry = nullptr);
    UdpSessionTable(const UdpSessionTable&) = delete;
    UdpSessionTable& operator=(const UdpSessionTable&) = delete;
    // Closes every session.
    ~UdpSessionTable();

    // A packet from the TUN that parsed ok with protocol UDP: relayed on its flow's
    // session, which is opened on the first datagram. Drops are counted, never thrown.
    void handle_packet(const IpPacketView& packet);

    // Closes every session (reason shutdown) and stops the idle timer.
    void close_all();

    std::size_t size() const { return sessions_.size(); }
    const UdpSessionCounters& counters() const { return counters_; }
    const UdpSessionLimits& limits() const { return limits_; }
    // A reload's limits: a lower cap evicts the least recently used sessions now; the idle
    // deadline of every session follows the new timeout.
    void set_limits(UdpSessionLimits limits);

  private:
    struct FlowKey {
        Endpoint source;
        Endpoint destination;
        friend bool operator==(const FlowKey&, const FlowKey&) = default;
    };
    struct FlowKeyHash {
        std::size_t operator()(const FlowKey& key) const noexcept;
    };
    // Listed in the flow registry (when there is one) as the owner of its flow.
    struct Session final : flow::FlowOwner {
        FlowKey key;
        Endpoint remote;
        std::unique_ptr<UdpOutbound> outbound;
        std::chrono::steady_clock::time_point last_active;
        std::shared_ptr<flow::LiveFlow> live;
        UdpSessionTable* table = nullptr;
        void close_flow() override;
    };
    // Most recently active first.
    using SessionList = std::list<Session>;

    SessionList::iterator open_session(const FlowKey& key);
    void touch(SessionList::iterator session);
    void deliver_reply(const FlowKey& key, std::span<const std::uint8_t> payload,
                       const Endpoint& from);
    void close_session(SessionList::iterator session, UdpCloseReason reason);
    void arm_idle_timer();
    void expire_idle();
    void drop(UdpDropReason reason) { ++counters_.drops[static_cast<std::size_t>(reason)]; }
    void log_eviction(const FlowKey& key);

    boost::asio::any_io_executor executor_;
    UdpOutboundFactory factory_;
    PacketWriter writer_;
    UdpSessionLimits limits_;
    flow::FlowRegistry* registry_;
    UdpSessionCounters counters_;
    SessionList sessions_;
    std::unordered_map<FlowKey, SessionList::iterator, FlowKeyHash> index_;
    boost::asio::steady_timer idle_timer_;
    bool idle_timer_armed_ = false;
    // Reply packets are built here: one packet at a time on a single thread.
    std::vector<std::uint8_t> reply_buffer_;
    LogRateLimit eviction_log_{std::chrono::seconds(10)};  // evictions: a line per 10 s
    // Handlers of outbounds hold a weak_ptr to this: set false in the destructor.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shunt::netstack

// DNS over a byte stream (tcp:// per RFC 7766 and tls:// per RFC 7858): one
// connection, reused for consecutive queries and pipelined for concurrent ones.
//
// Clients' query ids may collide (two clients both using id 1), so every query in
// flight on the connection gets its own random wire id; the answer is matched by it
// and handed back with the client's id restored. An answer whose question differs
// from the query's is ignored, like a stray datagram on UDP.
//
// When the connection breaks with queries written to it, each of those is retried
// once on a fresh connection (the server may have closed an idle connection just as
// we wrote); a failed connect fails every waiting query at once with its reason.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>

#include <boost/asio/steady_timer.hpp>

#include "dns/upstream/dial_target.hpp"
#include "dns/upstream/stream_transport.hpp"
#include "dns/upstream/upstream.hpp"

namespace shunt::dns {

class StreamUpstream : public Upstream, public std::enable_shared_from_this<StreamUpstream> {
  public:
    using TransportFactory = std::function<std::shared_ptr<StreamTransport>()>;

    StreamUpstream(boost::asio::any_io_executor executor, UpstreamSpec spec,
                   UpstreamOptions options, TransportFactory make_transport);
    ~StreamUpstream() override;

    void query(std::span<const std::uint8_t> wire_query, Callback callback) override;
    // As query(), with an explicit deadline: the UDP upstream's TC retry uses what is
    // left of the original query's time.
    void query_until(std::span<const std::uint8_t> wire_query,
                     std::chrono::steady_clock::time_point deadline, Callback callback);
    void close() override;
    const UpstreamSpec& spec() const override { return spec_; }

  private:
    struct Pending;
    struct Connection;
    using PendingPtr = std::shared_ptr<Pending>;
    using ConnectionPtr = std::shared_ptr<Connection>;

    std::uint16_t pick_wire_id();
    void connect();
    void on_connected(const ConnectionPtr& connection, boost::system::error_code ec);
    void connection_failed(const ConnectionPtr& connection, boost::system::error_code ec);
    void pump_writes();
    void read_more(const ConnectionPtr& connection);
    void handle_answer(const ConnectionPtr& connection, std::span<const std::uint8_t> answer);
    void on_timeout(const PendingPtr& pending);
    void finish(const PendingPtr& pending, boost::system::error_code ec,
                std::vector<std::uint8_t> response);
    void arm_idle_timer();

    boost::asio::any_io_executor executor_;
    UpstreamSpec spec_;
    UpstreamOptions options_;
    TransportFactory make_transport_;
    DialTarget target_;
    ConnectionPtr connection_;                                 // null while there is none
    std::unordered_map<std::uint16_t, PendingPtr> in_flight_;  // by wire id
    std::deque<PendingPtr> write_queue_;                       // not yet written
    boost::asio::steady_timer idle_timer_;
    bool closed_ = false;
};

}  // namespace shunt::dns

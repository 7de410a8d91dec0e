// MuxOutbound: a [[proxies]] entry with type = "mux" — every TCP flow a stream on one of
// the proxy's carriers, every UDP flow a UDP stream (docs/mux.md). The target goes to the
// server by name when the flow has one: the fake IP never leaves the machine.
//
// Where the carriers run (docs/architecture.md, "Threads"): without carrier threads, one
// CarrierPool with all of them on the home loop. With carrier threads, one single-carrier
// pool per carrier, each on a thread of its own (its TLS and framing off the netstack
// thread); the flows' streams reach home through ThreadedStream / ThreadedUdpOutbound, and
// a new flow goes to the pool with a carrier up and the fewest streams — the choice one
// pool makes among its carriers, made here across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "outbound/mux/client/carrier_pool.hpp"
#include "outbound/outbound.hpp"

namespace shunt::outbound::mux {

class CarrierThreads;

class MuxOutbound final : public Outbound {
  public:
    // Throws std::runtime_error when the TLS setup fails (an unreadable CA file).
    // `threads` (may be null) must outlive the outbound and every stream it made.
    MuxOutbound(boost::asio::any_io_executor executor, MuxClientOptions options,
                AddressLookup lookup, CarrierThreads* threads = nullptr);
    ~MuxOutbound() override;

    const std::string& name() const override { return name_; }
    OutboundType type() const override { return OutboundType::mux; }
    void connect(const Target& target, ConnectHandler handler) override;
    std::unique_ptr<UdpOutbound> open_udp(const Target& target, const Endpoint& as_seen,
                                          std::string& refusal) override;

    // The pool of a proxy whose carriers run on the home loop (no carrier threads).
    CarrierPool& pool();
    // Pools (one per carrier with threads, else one) and how many run on threads.
    std::size_t pool_count() const { return shards_.size(); }
    std::size_t threaded_pools() const;
    // Streams handed out on the pool `index` and not yet closed (threaded pools only).
    std::size_t streams_on(std::size_t index) const;

    struct Shard;

  private:
    struct PendingOpen {
        ConnectHandler handler;
        Target target;
        bool retried = false;
    };
    void open_on(const std::shared_ptr<Shard>& shard, std::uint64_t id);
    void on_opened(std::uint64_t id, const boost::system::error_code& ec,
                   std::unique_ptr<Stream> stream, std::string reason);
    // Starts every pool's carriers on first use (as one pool starts all of its carriers
    // with its first stream), then picks one.
    const std::shared_ptr<Shard>& pick();

    boost::asio::any_io_executor executor_;
    std::string name_;
    bool udp_;
    std::vector<std::shared_ptr<Shard>> shards_;
    bool started_ = false;
    // Opens on a carrier thread, by id: their handlers never leave home.
    std::unordered_map<std::uint64_t, PendingOpen> opens_;
    std::uint64_t next_open_ = 0;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // for what comes back from threads
};

// The address the server is asked to reach: the domain when there is one.
HostPort wire_address(const Target& target);

}  // namespace shunt::outbound::mux

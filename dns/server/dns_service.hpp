// The DNS server as one service: the fake-IP pool, the redir-host memory, the current
// DnsPolicy and the UDP/TCP listeners on every [dns] listen address. Lives on the
// event loop that runs it; start/reload/stop are called from that loop.
//
// UDP queries, nearly all of a client's, are answered on a thread that does nothing else
// ("shunt-dns"): a burst of packets on the data path never delays an answer, and a second
// core answers while the first relays. Its QueryHandler sends what needs an upstream to
// the resolver on this loop and gets the answer back (query_handler.hpp). TCP clients and
// queries hijacked on the TUN are answered on this loop by a handler of their own; both
// handlers share the pool (it locks), the stats (atomics) and the policy (immutable).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "config/config.hpp"
#include "dns/pool/fake_ip_pool.hpp"
#include "dns/redir/redir_host_memory.hpp"
#include "dns/server/dns_stats.hpp"
#include "dns/server/query_handler.hpp"
#include "net/event_loop_thread.hpp"

namespace shunt::dns {

class UdpListener;
class TcpListener;

class DnsService {
  public:
    // Opens the pool (its store may throw: a store that cannot be opened is a startup
    // error) and builds the policy; binds nothing yet.
    DnsService(boost::asio::any_io_executor executor, std::shared_ptr<const Config> config);
    ~DnsService();

    // Binds every listen address (throws naming the one that fails) and starts serving.
    void start();
    // Swaps in a new policy; the pool and queries in flight are kept. Names that the
    // new filter covers lose their fake address. Throws (keeping the old config) when
    // the new one cannot be applied.
    void reload(std::shared_ptr<const Config> config);
    // Stops listening, cancels upstream queries and flushes the pool. Idempotent.
    void stop();

    // The domain a destination address stands for: the fake-IP pool's reverse map in
    // fake-ip mode, the remembered answers in redir-host mode.
    std::optional<std::string> domain_for(const IpAddress& address);

    // Real addresses of a name through the current policy's resolver (hosts first, then
    // real upstreams, cached): what the data path dials for a fake-IP connection.
    void lookup_addresses(std::string_view name, Resolver::AddressCallback callback);

    // Answers one DNS query that arrived without a socket (dns_hijack on the TUN device):
    // `reply` gets the response, now or when the upstream answers; it is not called when
    // the query is to be dropped (malformed, shutting down).
    void answer_datagram(std::span<const std::uint8_t> query,
                         std::function<void(std::span<const std::uint8_t>)> reply);

    // Forgets every cached upstream answer; queries in flight are not affected.
    void clear_answer_cache();
    // Drops every fake-IP mapping whose name `keep` does not hold (the API's flush: the
    // names of live flows are kept, so no open flow loses its domain). Returns how many.
    std::size_t drop_fake_ips_except(const std::function<bool(std::string_view name)>& keep);

    // redir-host: `listener` hears every answered address before the answer leaves.
    void set_redir_host_listener(RedirHostMemory::Listener listener) {
        redir_memory_.set_listener(std::move(listener));
    }

    FakeIpPool& pool() { return *pool_; }
    const DnsStats& stats() const { return stats_; }

  private:
    void open_listeners(const std::vector<Endpoint>& endpoints, const DnsConfig& dns);
    void set_policy(std::shared_ptr<const DnsPolicy> policy);
    void close_listeners();

    boost::asio::any_io_executor executor_;
    std::shared_ptr<const Config> config_;
    std::unique_ptr<FakeIpPool> pool_;
    RedirHostMemory redir_memory_;
    DnsStats stats_;
    QueryHandler handler_;           // TCP and hijacked queries, on this loop
    EventLoopThread answer_thread_;  // before the listeners bound to it: it outlives them
    QueryHandler answer_handler_;    // UDP queries, on the answer thread
    std::vector<std::shared_ptr<UdpListener>> udp_;
    std::vector<std::shared_ptr<TcpListener>> tcp_;
    bool stopped_ = false;
};

}  // namespace shunt::dns

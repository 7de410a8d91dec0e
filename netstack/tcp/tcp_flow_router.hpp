// TcpFlowRouter: what happens to a TCP connection lwIP accepted. It builds the
// connection's metadata (the domain from the fake-IP reverse map), asks the rule engine,
// resolves once if an IP rule needs it, asks the outbound the rule names (OutboundSet) for
// a stream and hands it to the TcpSession, or resets the application's connection with the
// reason logged:
//  - a fake IP the pool does not know: RST (never dial the fake address itself);
//  - REJECT: RST;
//  - an outbound that fails (dial, proxy refusal): RST as soon as it gives up.
// It also owns the sessions (they live until they report closed) and enforces the cap
// on concurrent flows: above it, new connections are reset at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>

#include "netstack/tcp/tcp_session.hpp"

struct tcp_pcb;

namespace shunt::dns {
class DnsService;
}
namespace shunt::rules {
class RuleEngine;
}
namespace shunt::outbound {
class Outbound;
class OutboundSet;
}  // namespace shunt::outbound

namespace shunt::netstack {

struct TcpRouterOptions {
    std::size_t max_flows = 16384;
    TcpSessionOptions session;
};

class TcpFlowRouter {
  public:
    struct Stats {
        std::uint64_t accepted = 0;
        std::uint64_t refused_cap = 0;
        std::uint64_t unknown_fake_ip = 0;
        std::uint64_t rejected = 0;
        std::uint64_t dial_failed = 0;
        std::uint64_t relayed = 0;
    };

    TcpFlowRouter(boost::asio::any_io_executor executor, dns::DnsService& dns,
                  std::shared_ptr<rules::RuleEngine> engine,
                  std::shared_ptr<outbound::OutboundSet> outbounds, TcpRouterOptions options);
    ~TcpFlowRouter();

    // lwIP's accept: the router owns the pcb from here.
    void on_accept(tcp_pcb* pcb);
    // Resets every open flow (shutdown).
    void close_all();

    void set_outbounds(std::shared_ptr<outbound::OutboundSet> outbounds) {
        outbounds_ = std::move(outbounds);
    }

    std::size_t flow_count() const { return sessions_.size(); }
    const Stats& stats() const { return stats_; }

  private:
    struct Flow;  // one routing in progress (metadata that outlives the callbacks)

    void route(const std::shared_ptr<TcpSession>& session);
    void decide(const std::shared_ptr<Flow>& flow);
    void connect(const std::shared_ptr<Flow>& flow, outbound::Outbound& chosen);
    void log_unknown_fake_ip(const TcpSession& session);

    boost::asio::any_io_executor executor_;
    dns::DnsService& dns_;
    std::shared_ptr<rules::RuleEngine> engine_;
    std::shared_ptr<outbound::OutboundSet> outbounds_;
    TcpRouterOptions options_;
    std::unordered_map<std::uint64_t, std::shared_ptr<TcpSession>> sessions_;
    Stats stats_;
    std::chrono::steady_clock::time_point last_unknown_log_{};
    std::uint64_t unknown_since_log_ = 0;
};

}  // namespace shunt::netstack

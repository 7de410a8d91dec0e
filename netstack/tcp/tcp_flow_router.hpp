// TcpFlowRouter: what happens to a TCP connection lwIP accepted. The flow classifier
// (flow/) finds its domain, the rule's verdict and the outbound; the router then asks that
// outbound for a stream and hands it to the TcpSession, or resets the application's
// connection with the reason logged:
//  - a fake IP the pool does not know: RST (never dial the fake address itself);
//  - REJECT: RST;
//  - an outbound that fails (dial, proxy refusal): RST as soon as it gives up.
// A relaying session is listed in the flow registry until it ends. The router owns the
// sessions (they live until they report closed) and enforces the cap on concurrent flows:
// above it, new connections are reset at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>

#include "netstack/tcp/tcp_session.hpp"

struct tcp_pcb;

namespace shunt::flow {
class ClassifiedFlow;
class FlowClassifier;
class FlowRegistry;
}  // namespace shunt::flow

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

    TcpFlowRouter(boost::asio::any_io_executor executor, flow::FlowClassifier& classifier,
                  flow::FlowRegistry& registry, TcpRouterOptions options);
    ~TcpFlowRouter();

    // lwIP's accept: the router owns the pcb from here.
    void on_accept(tcp_pcb* pcb);
    // Resets every open flow (shutdown).
    void close_all();

    // A reload's limits: the cap holds for new connections, the idle timeout for new
    // sessions.
    void set_options(TcpRouterOptions options) { options_ = options; }

    std::size_t flow_count() const { return sessions_.size(); }
    const Stats& stats() const { return stats_; }

  private:
    void route(const std::shared_ptr<TcpSession>& session);
    void connect(const std::shared_ptr<TcpSession>& session,
                 const std::shared_ptr<flow::ClassifiedFlow>& flow);
    void on_closed(TcpSession& session);

    boost::asio::any_io_executor executor_;
    flow::FlowClassifier& classifier_;
    flow::FlowRegistry& registry_;
    TcpRouterOptions options_;
    std::unordered_map<std::uint64_t, std::shared_ptr<TcpSession>> sessions_;
    Stats stats_;
};

}  // namespace shunt::netstack

// UdpFlowRouter: the session table's factory. For each new UDP flow it does what
// TcpFlowRouter does for TCP: the domain from the fake-IP reverse map, the rule engine's
// decision (NETWORK,udp rules and all; resolving the name first when an IP rule needs it,
// through a ResolvingUdpOutbound), then the UDP outbound of the outbound the rule names.
// A fake IP the pool does not know, REJECT, and an outbound that carries no UDP refuse the
// flow (its datagrams are dropped and counted; UDP has no reset).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/log_rate_limit.hpp"
#include "netstack/udp/udp_outbound.hpp"

namespace shunt::dns {
class DnsService;
}
namespace shunt::rules {
class RuleEngine;
struct Verdict;
}  // namespace shunt::rules
namespace shunt::outbound {
class OutboundSet;
struct Target;
}  // namespace shunt::outbound

namespace shunt::netstack {

class UdpFlowRouter {
  public:
    struct Stats {
        std::uint64_t flows = 0;
        std::uint64_t unknown_fake_ip = 0;
        std::uint64_t rejected = 0;
        std::uint64_t refused = 0;  // the outbound carries no UDP or could not open
    };

    UdpFlowRouter(dns::DnsService& dns, std::shared_ptr<rules::RuleEngine> engine,
                  std::shared_ptr<outbound::OutboundSet> outbounds);

    UdpSessionPlan operator()(const UdpFlow& flow);
    void set_outbounds(std::shared_ptr<outbound::OutboundSet> outbounds) {
        outbounds_ = std::move(outbounds);
    }
    const Stats& stats() const { return *stats_; }

  private:
    std::unique_ptr<UdpOutbound> open(outbound::OutboundSet& outbounds,
                                      const rules::Verdict& verdict, const outbound::Target& target,
                                      const Endpoint& as_seen, std::string& refusal);
    void log_refusal(const UdpFlow& flow, const std::string& refusal);

    dns::DnsService& dns_;
    std::shared_ptr<rules::RuleEngine> engine_;
    std::shared_ptr<outbound::OutboundSet> outbounds_;
    std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
    std::chrono::steady_clock::time_point last_unknown_log_{};
    LogRateLimit refusal_log_{std::chrono::seconds(1)};
};

}  // namespace shunt::netstack

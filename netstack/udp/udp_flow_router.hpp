// UdpFlowRouter: the session table's factory. For each new UDP flow it asks the flow
// classifier (flow/) what TcpFlowRouter asks for TCP — the domain, the rule's verdict
// (NETWORK,udp rules and all) and the outbound — then opens that outbound's UDP side. When an
// IP rule needs the domain's address, the flow starts on a ResolvingUdpOutbound that
// finishes the classification once the name resolved. A fake IP the pool does not know,
// REJECT, and an outbound that carries no UDP refuse the flow (its datagrams are dropped
// and counted; UDP has no reset).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/log_rate_limit.hpp"
#include "netstack/udp/udp_outbound.hpp"

namespace shunt::flow {
class ClassifiedFlow;
class FlowClassifier;
class LiveFlow;
}  // namespace shunt::flow

namespace shunt::netstack {

class UdpFlowRouter {
  public:
    struct Stats {
        std::uint64_t flows = 0;
        std::uint64_t unknown_fake_ip = 0;
        std::uint64_t rejected = 0;
        std::uint64_t refused = 0;  // the outbound carries no UDP or could not open
    };

    explicit UdpFlowRouter(flow::FlowClassifier& classifier);

    UdpSessionPlan operator()(const UdpFlow& flow);
    const Stats& stats() const { return stats_; }

  private:
    // The classified flow's UDP outbound, or null with `refusal` set.
    std::unique_ptr<UdpOutbound> open(const flow::ClassifiedFlow& flow, std::string& refusal);
    void log_refusal(const UdpFlow& flow, const std::string& refusal);

    flow::FlowClassifier& classifier_;
    Stats stats_;
    LogRateLimit refusal_log_{std::chrono::seconds(1)};
};

}  // namespace shunt::netstack

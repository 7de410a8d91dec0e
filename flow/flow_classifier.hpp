// FlowClassifier: the one place TCP connections and UDP flows are classified, the same
// way: destination -> domain (fake-IP pool or redir-host memory) -> metadata (with the
// owning process when a rule asks for it) -> the rule engine's verdict -> the outbound it
// names. When an IP rule needs the domain's address, the flow is resolved once and the
// engine resumes on the same rule list. The netstack's routers then connect (TCP) or open
// a UDP outbound; everything runs on the netstack's loop.
#pragma once

#include <array>
#include <functional>
#include <memory>

#include "base/log_rate_limit.hpp"
#include "flow/classified_flow.hpp"

namespace shunt::rules {
class RuleEngine;
}

namespace shunt::flow {

class DestinationNames;

class FlowClassifier {
  public:
    FlowClassifier(DestinationNames& names, std::shared_ptr<rules::RuleEngine> engine,
                   std::shared_ptr<outbound::OutboundSet> outbounds);

    // The first pass. Its outcome is final unless it is `deciding`: then call resolve().
    std::shared_ptr<ClassifiedFlow> classify(const FlowRequest& request);
    // Resolves the flow's domain once (flow->resolved), finishes the verdict and picks the
    // outbound: TCP and UDP alike. `done` runs from the loop, also when the name did not
    // resolve (IP rules then miss).
    void resolve(const std::shared_ptr<ClassifiedFlow>& flow, std::function<void()> done);

    // A reload's outbounds: flows classified from now on use them.
    void set_outbounds(std::shared_ptr<outbound::OutboundSet> outbounds) {
        outbounds_ = std::move(outbounds);
    }

  private:
    // The second pass, with the addresses the domain resolved to (empty: it did not).
    void finish(ClassifiedFlow& flow, std::vector<IpAddress> addresses);
    void pick_outbound(ClassifiedFlow& flow);
    void log_unknown_fake_ip(const ClassifiedFlow& flow);

    DestinationNames& names_;
    std::shared_ptr<rules::RuleEngine> engine_;
    std::shared_ptr<outbound::OutboundSet> outbounds_;
    // TCP, UDP.
    std::array<LogRateLimit, 2> unknown_fake_ip_log_{LogRateLimit{std::chrono::seconds(1)},
                                                     LogRateLimit{std::chrono::seconds(1)}};
};

}  // namespace shunt::flow

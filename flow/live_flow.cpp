#include "flow/live_flow.hpp"

#include "flow/classified_flow.hpp"
#include "flow/flow_registry.hpp"
#include "outbound/outbound.hpp"

namespace shunt::flow {

FlowRecord FlowRecord::from(const ClassifiedFlow& flow) {
    FlowRecord record;
    record.network = flow.request.network;
    record.source = flow.request.source;
    record.destination = flow.request.destination;
    record.domain = flow.domain;
    if (flow.owner) record.process = std::make_shared<const rules::SocketOwner>(*flow.owner);
    record.set_route(flow);
    record.start = std::chrono::system_clock::now();
    return record;
}

void FlowRecord::set_route(const ClassifiedFlow& flow) {
    const rules::Decision& decision = flow.verdict.decision;
    rule_payload.clear();
    chain.clear();
    if (flow.verdict.mode != rules::Mode::rule) {
        rule = std::string(decision.target);  // "GLOBAL" or "DIRECT": the mode's target
    } else if (decision.rule_index == rules::Decision::npos) {
        rule = "MATCH";
    } else {
        rule = std::string(rules::rule_type_name(decision.type));
        rule_payload = std::string(decision.payload);
    }
    for (const outbound::Outbound* hop = flow.outbound; hop != nullptr;
         hop = hop->selected_member())
        chain.insert(chain.begin(), hop->name());
}

LiveFlow::~LiveFlow() {
    if (registry_ != nullptr) registry_->remove(*this);
}

}  // namespace shunt::flow

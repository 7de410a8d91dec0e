#include "flow/flow_registry.hpp"

#include "flow/classified_flow.hpp"
#include "outbound/outbound.hpp"

namespace shunt::flow {

LiveFlow LiveFlow::from(const ClassifiedFlow& flow) {
    LiveFlow live;
    live.network = flow.request.network;
    live.source = flow.request.source;
    live.destination = flow.request.destination;
    live.domain = flow.domain;
    if (flow.owner) {
        live.process_name = flow.owner->name;
        live.process_path = flow.owner->path;
    }
    live.set_route(flow);
    live.start = std::chrono::system_clock::now();
    return live;
}

void LiveFlow::set_route(const ClassifiedFlow& flow) {
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

void FlowRegistry::add(const std::shared_ptr<LiveFlow>& flow) {
    flow->id = next_id_++;
    flows_.emplace(flow->id, flow);
    ++ended_.flows;
}

void FlowRegistry::remove(std::uint64_t id) {
    auto it = flows_.find(id);
    if (it == flows_.end()) return;
    ended_.upload += it->second->upload;
    ended_.download += it->second->download;
    flows_.erase(it);
}

bool FlowRegistry::close(std::uint64_t id) {
    auto it = flows_.find(id);
    if (it == flows_.end()) return false;
    // The close may remove the flow (and others) from the map: hold it, not the iterator.
    auto flow = it->second;
    if (flow->close) flow->close();
    return true;
}

std::size_t FlowRegistry::close_all() {
    std::vector<std::shared_ptr<LiveFlow>> flows;
    flows.reserve(flows_.size());
    for (const auto& [id, flow] : flows_) flows.push_back(flow);
    for (const auto& flow : flows)
        if (flow->close) flow->close();
    return flows.size();
}

std::vector<std::shared_ptr<const LiveFlow>> FlowRegistry::list() const {
    std::vector<std::shared_ptr<const LiveFlow>> out;
    out.reserve(flows_.size());
    for (const auto& [id, flow] : flows_) out.push_back(flow);
    return out;
}

FlowRegistry::Totals FlowRegistry::totals() const {
    Totals totals = ended_;
    for (const auto& [id, flow] : flows_) {
        totals.upload += flow->upload;
        totals.download += flow->download;
    }
    return totals;
}

}  // namespace shunt::flow

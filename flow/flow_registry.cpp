#include "flow/flow_registry.hpp"

namespace shunt::flow {

FlowRegistry::~FlowRegistry() {
    // Flows that outlive the registry (sessions torn down after it) must not reach back.
    while (oldest_ != nullptr) remove(*oldest_);
}

void FlowRegistry::add(LiveFlow& flow, FlowOwner& owner) {
    if (flow.registry_ != nullptr) return;
    flow.id = next_id_++;
    flow.registry_ = this;
    flow.owner_ = &owner;
    flow.older_ = newest_;
    flow.newer_ = nullptr;
    if (newest_ != nullptr)
        newest_->newer_ = &flow;
    else
        oldest_ = &flow;
    newest_ = &flow;
    ++size_;
    ++ended_.flows;
}

void FlowRegistry::remove(LiveFlow& flow) {
    if (flow.registry_ != this) return;
    ended_.upload += flow.upload;
    ended_.download += flow.download;
    (flow.older_ != nullptr ? flow.older_->newer_ : oldest_) = flow.newer_;
    (flow.newer_ != nullptr ? flow.newer_->older_ : newest_) = flow.older_;
    flow.registry_ = nullptr;
    flow.owner_ = nullptr;
    flow.older_ = flow.newer_ = nullptr;
    --size_;
}

bool FlowRegistry::close(std::uint64_t id) {
    for (LiveFlow* flow = oldest_; flow != nullptr; flow = flow->newer_) {
        if (flow->id != id) continue;
        flow->owner_->close_flow();  // may remove and destroy the flow
        return true;
    }
    return false;
}

std::size_t FlowRegistry::close_all() {
    // Owners first: a close removes (and may destroy) its own flow, never another one.
    std::vector<FlowOwner*> owners;
    owners.reserve(size_);
    for (LiveFlow* flow = oldest_; flow != nullptr; flow = flow->newer_)
        owners.push_back(flow->owner_);
    for (FlowOwner* owner : owners) owner->close_flow();
    return owners.size();
}

std::vector<FlowRecord> FlowRegistry::list() const {
    std::vector<FlowRecord> out;
    out.reserve(size_);
    for (const LiveFlow* flow = oldest_; flow != nullptr; flow = flow->newer_)
        out.push_back(static_cast<const FlowRecord&>(*flow));
    return out;
}

FlowRegistry::Totals FlowRegistry::totals() const {
    Totals totals = ended_;
    for (const LiveFlow* flow = oldest_; flow != nullptr; flow = flow->newer_) {
        totals.upload += flow->upload;
        totals.download += flow->download;
    }
    return totals;
}

}  // namespace shunt::flow

// FlowRegistry: every flow an outbound carries right now, TCP and UDP alike, for the REST
// API (list, close one, close all) and its traffic totals. A TCP session adds its flow once
// the outbound connected; a UDP session once it opened (while the name an IP rule needs
// resolves, its rule is the one waiting for it, and its datagrams queue); both remove it
// when they end. The bytes of ended flows stay in the totals.
//
// The flows are linked oldest first through themselves (LiveFlow's hooks): adding and
// removing cost no allocation; finding one by id walks the list (the API does that, rarely).
// Lives on the netstack's loop like the sessions: no locks; the API posts its calls there.
#pragma once

#include <cstdint>
#include <vector>

#include "flow/live_flow.hpp"

namespace shunt::flow {

class FlowRegistry {
  public:
    struct Totals {
        std::uint64_t upload = 0;
        std::uint64_t download = 0;
        std::uint64_t flows = 0;  // ever added
    };

    FlowRegistry() = default;
    ~FlowRegistry();
    FlowRegistry(const FlowRegistry&) = delete;
    FlowRegistry& operator=(const FlowRegistry&) = delete;

    // Gives the flow its id and lists it until remove() or its destruction; `owner` closes
    // it. The session keeps the flow and counts bytes into it.
    void add(LiveFlow& flow, FlowOwner& owner);
    // Unlists it, keeping its bytes in the totals. Idempotent.
    void remove(LiveFlow& flow);

    // Closes the flow through its owner; false when no flow has that id.
    bool close(std::uint64_t id);
    // Closes every listed flow; returns how many.
    std::size_t close_all();

    // Copies, oldest first.
    std::vector<FlowRecord> list() const;
    // Visits every listed flow in place, oldest first, without copying (the API's
    // snapshot of 10,000 flows). `visit` must not add, remove or close flows.
    template <class Visit>
    void for_each(Visit&& visit) const {
        for (const LiveFlow* flow = oldest_; flow != nullptr; flow = flow->newer_)
            visit(static_cast<const FlowRecord&>(*flow));
    }
    std::size_t size() const { return size_; }
    // Listed flows included.
    Totals totals() const;

  private:
    LiveFlow* oldest_ = nullptr;
    LiveFlow* newest_ = nullptr;
    std::size_t size_ = 0;
    std::uint64_t next_id_ = 1;
    Totals ended_;  // bytes of flows no longer listed; flows counts every add
};

}  // namespace shunt::flow

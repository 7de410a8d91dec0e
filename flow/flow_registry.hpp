// FlowRegistry: every flow an outbound carries right now, TCP and UDP alike, for the REST
// API (list, close one, close all) and its traffic totals. A TCP session adds its flow once
// the outbound connected; a UDP session once it opened (while the name an IP rule needs
// resolves, its rule is the one waiting for it, and its datagrams queue); both remove it
// when they end. The bytes of ended flows stay in the totals.
//
// Lives on the netstack's loop like the sessions: no locks; the API posts its calls there.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
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
    FlowRegistry(const FlowRegistry&) = delete;
    FlowRegistry& operator=(const FlowRegistry&) = delete;

    // Gives the flow its id and lists it. The session keeps the pointer and counts bytes
    // into it.
    void add(const std::shared_ptr<LiveFlow>& flow);
    // Unlists it, keeping its bytes in the totals. Unknown ids are ignored (idempotent).
    void remove(std::uint64_t id);

    // Calls the flow's close; false when no flow has that id.
    bool close(std::uint64_t id);
    // Closes every listed flow; returns how many.
    std::size_t close_all();

    // Oldest first.
    std::vector<std::shared_ptr<const LiveFlow>> list() const;
    std::size_t size() const { return flows_.size(); }
    // Listed flows included.
    Totals totals() const;

  private:
    std::map<std::uint64_t, std::shared_ptr<LiveFlow>> flows_;  // ids grow: oldest first
    std::uint64_t next_id_ = 1;
    Totals ended_;  // bytes of flows no longer listed; flows counts every add
};

}  // namespace shunt::flow

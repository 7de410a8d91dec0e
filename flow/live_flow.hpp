// LiveFlow: one connection or UDP flow that an outbound carries, as the REST API lists it:
// who talks to what, which rule sent it where (through which group members), since when,
// and how many bytes went each way. The session that relays the flow holds it and counts
// its bytes; the registry lists it until the session ends.
//
// Memory: one per relayed connection, so it stays small — the registry links its flows
// through the flows themselves (no map node), closing goes through the owning session
// (FlowOwner, no std::function), and the process is shared with nothing when unknown.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/ip_address.hpp"
#include "rules/parse/rule_spec.hpp"
#include "rules/process/socket_owner.hpp"

namespace shunt::flow {

class ClassifiedFlow;
class FlowRegistry;

// What the API shows of a flow: a copy taken on the loop (FlowRegistry::list).
struct FlowRecord {
    std::uint64_t id = 0;  // set by the registry, unique for the process's lifetime
    rules::Network network = rules::Network::tcp;
    Endpoint source;
    Endpoint destination;  // as the application sent it (a fake IP for named flows)
    std::string domain;
    // The process that owns the application's socket; null unless a rule asked for it.
    std::shared_ptr<const rules::SocketOwner> process;
    std::string rule;          // "DOMAIN-SUFFIX", "MATCH" (no rule matched), "GLOBAL" mode, ...
    std::string rule_payload;  // "example.com"; empty for MATCH and the modes
    // The outbounds the flow went through, the one that carries it first and the rule's
    // target last: {"home-socks", "proxy"} for a flow the group "proxy" sent to "home-socks".
    std::vector<std::string> chain;
    std::chrono::system_clock::time_point start;
    std::uint64_t upload = 0;    // application -> outbound, payload bytes
    std::uint64_t download = 0;  // outbound -> application

    // Everything but id and counters, from a classified flow.
    static FlowRecord from(const ClassifiedFlow& flow);
    // rule, rule_payload and chain from the flow's verdict and outbound (again after a
    // resolution finished the decision).
    void set_route(const ClassifiedFlow& flow);
};

// The session that relays a listed flow: the registry closes the flow through it.
class FlowOwner {
  public:
    // Ends the flow (TCP: reset both ways; UDP: the session closes). Must not end others.
    virtual void close_flow() = 0;

  protected:
    ~FlowOwner() = default;
};

// A FlowRecord as the registry lists it. Destroying it unlists it.
class LiveFlow : public FlowRecord {
  public:
    explicit LiveFlow(FlowRecord record) : FlowRecord(std::move(record)) {}
    ~LiveFlow();
    LiveFlow(const LiveFlow&) = delete;
    LiveFlow& operator=(const LiveFlow&) = delete;

    bool listed() const { return registry_ != nullptr; }

  private:
    friend class FlowRegistry;
    FlowRegistry* registry_ = nullptr;
    FlowOwner* owner_ = nullptr;
    LiveFlow* older_ = nullptr;
    LiveFlow* newer_ = nullptr;
};

}  // namespace shunt::flow

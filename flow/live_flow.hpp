// LiveFlow: one connection or UDP flow that an outbound carries, as the REST API lists it:
// who talks to what, which rule sent it where (through which group members), since when,
// and how many bytes went each way. The session that relays the flow holds it and counts
// its bytes; the registry lists it until the session ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "net/ip_address.hpp"
#include "rules/parse/rule_spec.hpp"

namespace shunt::flow {

class ClassifiedFlow;

struct LiveFlow {
    std::uint64_t id = 0;  // set by the registry, unique for the process's lifetime
    rules::Network network = rules::Network::tcp;
    Endpoint source;
    Endpoint destination;  // as the application sent it (a fake IP for named flows)
    std::string domain;
    std::string process_name;
    std::string process_path;
    std::string rule;          // "DOMAIN-SUFFIX", "MATCH" (no rule matched), "GLOBAL" mode, ...
    std::string rule_payload;  // "example.com"; empty for MATCH and the modes
    // The outbounds the flow went through, the one that carries it first and the rule's
    // target last: {"home-socks", "proxy"} for a flow the group "proxy" sent to "home-socks".
    std::vector<std::string> chain;
    std::chrono::system_clock::time_point start;
    std::uint64_t upload = 0;    // application -> outbound, payload bytes
    std::uint64_t download = 0;  // outbound -> application
    // Ends the flow (TCP: reset both ways; UDP: the session closes). Set by the session.
    std::function<void()> close;

    // Everything but id, counters and close, from a classified flow.
    static LiveFlow from(const ClassifiedFlow& flow);
    // rule, rule_payload and chain from the flow's verdict and outbound (again after a
    // resolution finished the decision).
    void set_route(const ClassifiedFlow& flow);
};

}  // namespace shunt::flow

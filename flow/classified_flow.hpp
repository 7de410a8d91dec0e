// ClassifiedFlow: one TCP connection or UDP flow on its way through the classifier — its
// domain (from the fake-IP pool or redir-host memory), the metadata the rules saw, their
// verdict, the addresses one resolution found, and the outbound picked. TCP and UDP flows
// are the same object; only FlowRequest::network tells them apart.
//
// Not copyable: `metadata` holds views into `domain` and `owner`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip_address.hpp"
#include "outbound/outbound.hpp"
#include "rules/engine/connection_metadata.hpp"
#include "rules/engine/rule_engine.hpp"
#include "rules/process/socket_owner.hpp"

namespace shunt::outbound {
class OutboundSet;
}

namespace shunt::flow {

enum class FlowOutcome : std::uint8_t {
    deciding,         // an IP rule waits for the domain's addresses (FlowClassifier::resolve)
    routed,           // `outbound` carries it
    rejected,         // REJECT
    no_outbound,      // the rule names no outbound (a bug: the config loader checks targets)
    unknown_fake_ip,  // a fake IP the pool does not know: never dial the fake address itself
};
std::string_view to_string(FlowOutcome outcome);

struct FlowRequest {
    rules::Network network = rules::Network::tcp;
    Endpoint source;       // the application
    Endpoint destination;  // what it sent to: a fake IP for flows known by name
};

class ClassifiedFlow {
  public:
    explicit ClassifiedFlow(const FlowRequest& flow_request) : request(flow_request) {}
    ClassifiedFlow(const ClassifiedFlow&) = delete;
    ClassifiedFlow& operator=(const ClassifiedFlow&) = delete;

    // What an outbound is asked to reach: the domain for a fake destination (the fake
    // address never leaves the machine), the real address otherwise, and what a resolving
    // rule already looked up.
    outbound::Target target() const;
    // "tcp 10.0.0.2:5000 -> 198.18.0.7:443 (example.com)", for log lines.
    std::string describe_route() const;

    const FlowRequest request;
    std::string domain;  // empty for a real destination nothing names
    bool fake = false;   // the destination is a fake IP
    std::optional<rules::SocketOwner> owner;
    rules::ConnectionMetadata metadata;
    rules::Verdict verdict;
    std::vector<IpAddress> resolved;  // addresses the one resolution found
    // The set the flow began with: a reload may swap the classifier's while it resolves.
    std::shared_ptr<outbound::OutboundSet> outbounds;
    FlowOutcome outcome = FlowOutcome::deciding;
    outbound::Outbound* outbound = nullptr;  // routed: owned by `outbounds`
    std::string refusal;                     // not routed: why, for the log
};

}  // namespace shunt::flow

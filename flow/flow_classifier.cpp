#include "flow/flow_classifier.hpp"

#include <spdlog/spdlog.h>

#include "flow/destination_names.hpp"
#include "outbound/outbound_set.hpp"
#include "rules/engine/rule_engine.hpp"

namespace shunt::flow {

namespace {

std::string_view network_name(rules::Network network) {
    return network == rules::Network::tcp ? "tcp" : "udp";
}

}  // namespace

std::string_view to_string(FlowOutcome outcome) {
    switch (outcome) {
        case FlowOutcome::deciding:
            return "deciding";
        case FlowOutcome::routed:
            return "routed";
        case FlowOutcome::rejected:
            return "rejected";
        case FlowOutcome::no_outbound:
            return "no outbound";
        case FlowOutcome::unknown_fake_ip:
            return "unknown fake IP";
    }
    return "?";
}

outbound::Target ClassifiedFlow::target() const {
    outbound::Target target;
    target.domain = domain;
    if (!fake) target.address = request.destination.address;
    target.port = request.destination.port;
    target.resolved = resolved;
    return target;
}

std::string ClassifiedFlow::describe_route() const {
    return std::string(network_name(request.network)) + " " + request.source.to_string() + " -> " +
           request.destination.to_string() + " (" + (domain.empty() ? "-" : domain) + ")";
}

FlowClassifier::FlowClassifier(DestinationNames& names, std::shared_ptr<rules::RuleEngine> engine,
                               std::shared_ptr<outbound::OutboundSet> outbounds)
    : names_(names), engine_(std::move(engine)), outbounds_(std::move(outbounds)) {}

std::shared_ptr<ClassifiedFlow> FlowClassifier::classify(const FlowRequest& request) {
    auto flow = std::make_shared<ClassifiedFlow>(request);
    flow->outbounds = outbounds_;
    const Endpoint& destination = request.destination;
    flow->fake = names_.is_fake(destination.address);
    if (auto domain = names_.domain_for(destination.address)) {
        flow->domain = std::move(*domain);
    } else if (flow->fake) {
        flow->outcome = FlowOutcome::unknown_fake_ip;
        flow->refusal = "fake IP not in the pool";
        log_unknown_fake_ip(*flow);
        return flow;
    }
    auto& m = flow->metadata;
    m.network = request.network;
    m.source = request.source.address;
    m.source_port = request.source.port;
    // A fake destination says nothing about the real one: IP rules wait for resolution.
    if (!flow->fake) m.destination = destination.address;
    m.destination_port = destination.port;
    m.domain = flow->domain;
    if (engine_->rules()->wants_process()) {
        // UDP sockets are found by their local end alone (they need not be connected).
        flow->owner = rules::find_socket_owner(
            request.network, request.source,
            request.network == rules::Network::tcp ? std::optional(destination) : std::nullopt);
        if (flow->owner) {
            m.process_name = flow->owner->name;
            m.process_path = flow->owner->path;
        }
    }
    flow->verdict = engine_->decide(m);
    if (!flow->verdict.decision.needs_resolution) pick_outbound(*flow);
    return flow;
}

void FlowClassifier::resolve(const std::shared_ptr<ClassifiedFlow>& flow,
                             std::function<void()> done) {
    names_.lookup_addresses(
        flow->domain, [this, flow, done = std::move(done)](const boost::system::error_code& ec,
                                                           std::vector<IpAddress> addresses) {
            if (ec) addresses.clear();
            finish(*flow, std::move(addresses));
            done();
        });
}

void FlowClassifier::finish(ClassifiedFlow& flow, std::vector<IpAddress> addresses) {
    if (!addresses.empty()) flow.metadata.resolved = addresses.front();
    flow.resolved = std::move(addresses);
    // A name that does not resolve goes on without an address: IP rules miss.
    flow.verdict = engine_->resume(flow.metadata, flow.verdict);
    pick_outbound(flow);
}

void FlowClassifier::pick_outbound(ClassifiedFlow& flow) {
    spdlog::debug("{}: {}", flow.describe_route(), rules::describe(flow.verdict));
    const std::string_view target = flow.verdict.decision.target;
    outbound::Outbound* chosen = flow.outbounds->find(target);
    if (chosen == nullptr) {
        flow.outcome = FlowOutcome::no_outbound;
        flow.refusal = "no outbound named " + std::string(target);
        return;
    }
    if (chosen->type() == outbound::OutboundType::reject) {
        flow.outcome = FlowOutcome::rejected;
        flow.refusal = "rejected by " + rules::describe(flow.verdict);
        return;
    }
    flow.outcome = FlowOutcome::routed;
    flow.outbound = chosen;
}

void FlowClassifier::log_unknown_fake_ip(const ClassifiedFlow& flow) {
    // One limit per protocol: a flood of one does not hide the other.
    auto& limit = unknown_fake_ip_log_[flow.request.network == rules::Network::tcp ? 0 : 1];
    const auto skipped = limit.admit();
    if (!skipped) return;
    const auto& r = flow.request;
    spdlog::warn(
        "{} {} -> {}: fake IP not in the pool (a stale address from before the store was "
        "reset?): {}{}",
        network_name(r.network), r.source.to_string(), r.destination.to_string(),
        r.network == rules::Network::tcp ? "reset" : "dropped",
        *skipped == 0 ? std::string()
                      : " (" + std::to_string(*skipped) + " more since the last line)");
}

}  // namespace shunt::flow

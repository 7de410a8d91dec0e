#include "netstack/udp/udp_flow_router.hpp"

#include <spdlog/spdlog.h>

#include "flow/flow_classifier.hpp"
#include "flow/live_flow.hpp"
#include "outbound/resolving_udp_outbound.hpp"

namespace shunt::netstack {

UdpFlowRouter::UdpFlowRouter(flow::FlowClassifier& classifier) : classifier_(classifier) {}

UdpSessionPlan UdpFlowRouter::operator()(const UdpFlow& request) {
    ++stats_.flows;
    auto flow = classifier_.classify({rules::Network::udp, request.source, request.destination});
    if (flow->outcome != flow::FlowOutcome::deciding) {
        std::string refusal;
        auto opened = open(*flow, refusal);
        if (!opened) {
            log_refusal(request, refusal);
            return {};
        }
        return {std::move(opened), request.destination,
                std::make_shared<flow::LiveFlow>(flow::FlowRecord::from(*flow))};
    }
    // Listed while the name resolves, with the rule that waits for it.
    auto live = std::make_shared<flow::LiveFlow>(flow::FlowRecord::from(*flow));
    // An IP rule waits for the name's address: the classifier resolves it and finishes the
    // decision (as for TCP), then the outbound opens; datagrams queue meanwhile.
    auto lookup = [this, flow](const std::string&, outbound::AddressCallback done) {
        classifier_.resolve(flow, [flow, done = std::move(done)] { done({}, flow->resolved); });
    };
    auto connect = [this, flow, live](const std::optional<IpAddress>&,
                                      std::string& refusal) -> std::unique_ptr<UdpOutbound> {
        live->set_route(*flow);
        return open(*flow, refusal);
    };
    return {std::make_unique<outbound::ResolvingUdpOutbound>(flow->domain, std::move(lookup),
                                                             std::move(connect)),
            request.destination, std::move(live)};
}

std::unique_ptr<UdpOutbound> UdpFlowRouter::open(const flow::ClassifiedFlow& flow,
                                                 std::string& refusal) {
    switch (flow.outcome) {
        case flow::FlowOutcome::unknown_fake_ip:
            ++stats_.unknown_fake_ip;
            return nullptr;  // the classifier logged it
        case flow::FlowOutcome::rejected:
        case flow::FlowOutcome::no_outbound:
            ++stats_.rejected;
            refusal = flow.refusal;
            return nullptr;
        case flow::FlowOutcome::deciding:
        case flow::FlowOutcome::routed:
            break;
    }
    auto opened = flow.outbound->open_udp(flow.target(), flow.request.destination, refusal);
    if (!opened) {
        ++stats_.refused;
        refusal = flow.outbound->name() + ": " + refusal;
    }
    return opened;
}

void UdpFlowRouter::log_refusal(const UdpFlow& flow, const std::string& refusal) {
    if (refusal.empty()) return;
    const auto skipped = refusal_log_.admit();
    if (!skipped) return;
    spdlog::info(
        "udp {} -> {}: dropped: {}{}", flow.source.to_string(), flow.destination.to_string(),
        refusal,
        *skipped == 0 ? std::string() : " (" + std::to_string(*skipped) + " more since last line)");
}

}  // namespace shunt::netstack

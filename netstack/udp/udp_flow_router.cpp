#include "netstack/udp/udp_flow_router.hpp"

#include <spdlog/spdlog.h>

#include "dns/server/dns_service.hpp"
#include "outbound/outbound_set.hpp"
#include "outbound/resolving_udp_outbound.hpp"
#include "rules/engine/rule_engine.hpp"
#include "rules/process/socket_owner.hpp"

namespace shunt::netstack {

namespace {

// What the rules see of a UDP flow; a fake destination says nothing about the real one.
rules::ConnectionMetadata udp_metadata(const UdpFlow& flow, bool fake, std::string_view domain,
                                       const std::optional<rules::SocketOwner>& owner) {
    rules::ConnectionMetadata m;
    m.network = rules::Network::udp;
    m.source = flow.source.address;
    m.source_port = flow.source.port;
    if (!fake) m.destination = flow.destination.address;
    m.destination_port = flow.destination.port;
    m.domain = domain;
    if (owner) {
        m.process_name = owner->name;
        m.process_path = owner->path;
    }
    return m;
}

}  // namespace

UdpFlowRouter::UdpFlowRouter(dns::DnsService& dns, std::shared_ptr<rules::RuleEngine> engine,
                             std::shared_ptr<outbound::OutboundSet> outbounds)
    : dns_(dns), engine_(std::move(engine)), outbounds_(std::move(outbounds)) {}

UdpSessionPlan UdpFlowRouter::operator()(const UdpFlow& flow) {
    ++stats_->flows;
    const bool fake = dns_.pool().in_range(flow.destination.address);
    auto domain = dns_.domain_for(flow.destination.address);
    if (fake && !domain) {
        ++stats_->unknown_fake_ip;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_unknown_log_ >= std::chrono::seconds(1)) {
            last_unknown_log_ = now;
            spdlog::warn("udp {} -> {}: fake IP not in the pool: dropped", flow.source.to_string(),
                         flow.destination.to_string());
        }
        return {};
    }
    std::optional<rules::SocketOwner> owner;
    if (engine_->rules()->wants_process())
        owner = rules::find_socket_owner(rules::Network::udp, flow.source, std::nullopt);
    // The metadata's views point into `domain` and `owner`: decide() keeps nothing.
    const rules::Verdict verdict =
        engine_->decide(udp_metadata(flow, fake, domain ? *domain : std::string_view(), owner));
    spdlog::debug("udp {} -> {} ({}): {}", flow.source.to_string(), flow.destination.to_string(),
                  domain ? *domain : "-", rules::describe(verdict));
    outbound::Target target;
    if (domain) target.domain = *domain;
    if (!fake) target.address = flow.destination.address;
    target.port = flow.destination.port;
    if (!verdict.decision.needs_resolution) {
        std::string refusal;
        auto opened = open(*outbounds_, verdict, target, flow.destination, refusal);
        if (!opened) log_refusal(flow, refusal);
        return {std::move(opened), flow.destination};
    }
    // An IP rule waits for the name's address: resolve, finish the decision, then open.
    auto lookup = [this](const std::string& name, outbound::AddressCallback done) {
        dns_.lookup_addresses(name, std::move(done));
    };
    auto connect = [this, flow, verdict, owner, target, outbounds = outbounds_](
                       const std::optional<IpAddress>& resolved,
                       std::string& refusal) -> std::unique_ptr<UdpOutbound> {
        rules::ConnectionMetadata again = udp_metadata(flow, true, target.domain, owner);
        outbound::Target resolved_target = target;
        if (resolved) {
            again.resolved = *resolved;
            resolved_target.resolved = {*resolved};
        }
        // A name that does not resolve goes on without an address: IP rules miss.
        const rules::Verdict final_verdict = engine_->resume(again, verdict);
        return open(*outbounds, final_verdict, resolved_target, flow.destination, refusal);
    };
    return {std::make_unique<outbound::ResolvingUdpOutbound>(target.domain, std::move(lookup),
                                                             std::move(connect)),
            flow.destination};
}

std::unique_ptr<UdpOutbound> UdpFlowRouter::open(outbound::OutboundSet& outbounds,
                                                 const rules::Verdict& verdict,
                                                 const outbound::Target& target,
                                                 const Endpoint& as_seen, std::string& refusal) {
    outbound::Outbound* chosen = outbounds.find(verdict.decision.target);
    if (chosen == nullptr || chosen->type() == outbound::OutboundType::reject) {
        ++stats_->rejected;
        refusal = chosen == nullptr ? "no outbound named " + std::string(verdict.decision.target)
                                    : "rejected by " + rules::describe(verdict);
        return nullptr;
    }
    auto opened = chosen->open_udp(target, as_seen, refusal);
    if (!opened) {
        ++stats_->refused;
        refusal = chosen->name() + ": " + refusal;
    }
    return opened;
}

void UdpFlowRouter::log_refusal(const UdpFlow& flow, const std::string& refusal) {
    const auto skipped = refusal_log_.admit();
    if (!skipped) return;
    spdlog::info(
        "udp {} -> {}: dropped: {}{}", flow.source.to_string(), flow.destination.to_string(),
        refusal,
        *skipped == 0 ? std::string() : " (" + std::to_string(*skipped) + " more since last line)");
}

}  // namespace shunt::netstack

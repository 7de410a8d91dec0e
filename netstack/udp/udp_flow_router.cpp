#include "netstack/udp/udp_flow_router.hpp"

#include <spdlog/spdlog.h>

#include "dns/server/dns_service.hpp"
#include "netstack/flow_target.hpp"
#include "netstack/udp/resolving_udp_outbound.hpp"
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

UdpFlowRouter::UdpFlowRouter(boost::asio::any_io_executor executor, dns::DnsService& dns,
                             std::shared_ptr<rules::RuleEngine> engine, std::uint32_t routing_mark)
    : dns_(dns),
      engine_(std::move(engine)),
      direct_(std::move(executor), DirectUdpOptions{routing_mark, outbound::UdpStack::v4_only}) {}

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
    if (!fake) {
        if (!is_direct_target(verdict.decision.target)) {
            ++stats_->rejected;
            return {};
        }
        return direct_(flow);
    }
    if (!verdict.decision.needs_resolution && !is_direct_target(verdict.decision.target)) {
        ++stats_->rejected;
        return {};
    }
    // Resolve the name, finish the decision if an IP rule waited for the address, open.
    auto lookup = [this](const std::string& name, ResolvingUdpOutbound::AddressCallback done) {
        dns_.lookup_addresses(name, std::move(done));
    };
    auto connect = [this, flow, verdict, owner, name = *domain, stats = stats_](
                       const std::optional<IpAddress>& resolved,
                       std::string& refusal) -> std::unique_ptr<UdpOutbound> {
        if (!resolved) {
            refusal = "udp: " + name + " has no address";
            return nullptr;
        }
        rules::Verdict final_verdict = verdict;
        if (verdict.decision.needs_resolution) {
            rules::ConnectionMetadata again = udp_metadata(flow, true, name, owner);
            again.resolved = *resolved;
            final_verdict = engine_->resume(again, verdict);
        }
        if (!is_direct_target(final_verdict.decision.target)) {
            ++stats->rejected;
            refusal = "udp " + name + ": " + rules::describe(final_verdict);
            return nullptr;
        }
        return std::move(direct_.open(flow, Endpoint{*resolved, flow.destination.port}).outbound);
    };
    UdpSessionPlan plan;
    plan.remote = flow.destination;
    plan.outbound = std::make_unique<ResolvingUdpOutbound>(*domain, flow.destination,
                                                           std::move(lookup), std::move(connect));
    return plan;
}

}  // namespace shunt::netstack

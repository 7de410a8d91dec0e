#include "netstack/tcp/tcp_flow_router.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

extern "C" {
#include <lwip/tcp.h>
}

#include "dns/server/dns_service.hpp"
#include "outbound/outbound_set.hpp"
#include "rules/engine/rule_engine.hpp"
#include "rules/process/socket_owner.hpp"

namespace shunt::netstack {

struct TcpFlowRouter::Flow {
    std::shared_ptr<TcpSession> session;
    std::string domain;  // from the reverse map; empty for a real destination
    bool fake = false;   // the destination is a fake IP: dial by name
    std::optional<rules::SocketOwner> owner;
    rules::ConnectionMetadata metadata;
    rules::Verdict verdict;
    std::vector<IpAddress> resolved;  // addresses a resolving rule already looked up
    // Kept by the flow: a reload may swap the router's set while this flow connects.
    std::shared_ptr<outbound::OutboundSet> outbounds;

    void bind_views() {
        metadata.domain = domain;
        if (owner) {
            metadata.process_name = owner->name;
            metadata.process_path = owner->path;
        }
    }
};

TcpFlowRouter::TcpFlowRouter(boost::asio::any_io_executor executor, dns::DnsService& dns,
                             std::shared_ptr<rules::RuleEngine> engine,
                             std::shared_ptr<outbound::OutboundSet> outbounds,
                             TcpRouterOptions options)
    : executor_(std::move(executor)),
      dns_(dns),
      engine_(std::move(engine)),
      outbounds_(std::move(outbounds)),
      options_(options) {}

TcpFlowRouter::~TcpFlowRouter() {
    close_all();
}

void TcpFlowRouter::close_all() {
    auto sessions = std::move(sessions_);
    sessions_.clear();
    for (auto& [id, session] : sessions) {
        session->forget_owner();
        session->close(CloseReason::shutdown);
    }
}

void TcpFlowRouter::on_accept(tcp_pcb* pcb) {
    ++stats_.accepted;
    auto session = std::make_shared<TcpSession>(
        executor_, pcb, options_.session,
        [this](TcpSession& closed, CloseReason) { sessions_.erase(closed.id()); });
    // Everything from here may reset the pcb, which lwIP forbids inside its accept
    // callback: continue from the loop.
    if (sessions_.size() >= options_.max_flows) {
        ++stats_.refused_cap;
        if (stats_.refused_cap == 1 || stats_.refused_cap % 1000 == 0)
            spdlog::warn("tcp: {} concurrent flows (the cap): refusing new ones ({} so far)",
                         sessions_.size(), stats_.refused_cap);
        boost::asio::post(executor_, [session] { session->close(CloseReason::outbound_failed); });
        return;
    }
    sessions_.emplace(session->id(), session);
    boost::asio::post(executor_, [this, session] {
        if (session->state() != TcpSessionState::closed) route(session);
    });
}

void TcpFlowRouter::route(const std::shared_ptr<TcpSession>& session) {
    auto flow = std::make_shared<Flow>();
    flow->session = session;
    flow->outbounds = outbounds_;
    const Endpoint& destination = session->destination();
    flow->fake = dns_.pool().in_range(destination.address);
    if (auto domain = dns_.domain_for(destination.address)) {
        flow->domain = std::move(*domain);
    } else if (flow->fake) {
        ++stats_.unknown_fake_ip;
        log_unknown_fake_ip(*session);
        session->close(CloseReason::outbound_failed);
        return;
    }
    auto& m = flow->metadata;
    m.network = rules::Network::tcp;
    m.source = session->source().address;
    m.source_port = session->source().port;
    if (!flow->fake) m.destination = destination.address;
    m.destination_port = destination.port;
    if (engine_->rules()->wants_process())
        flow->owner = rules::find_socket_owner(rules::Network::tcp, session->source(), destination);
    flow->bind_views();
    flow->verdict = engine_->decide(m);
    if (!flow->verdict.decision.needs_resolution) {
        decide(flow);
        return;
    }
    dns_.lookup_addresses(flow->domain, [this, flow](const boost::system::error_code& ec,
                                                     std::vector<IpAddress> addresses) {
        if (flow->session->state() == TcpSessionState::closed) return;
        if (!ec && !addresses.empty()) {
            flow->metadata.resolved = addresses.front();
            flow->resolved = std::move(addresses);
        }
        // A name that does not resolve goes on without an address: IP rules miss.
        flow->verdict = engine_->resume(flow->metadata, flow->verdict);
        decide(flow);
    });
}

void TcpFlowRouter::decide(const std::shared_ptr<Flow>& flow) {
    const auto& session = *flow->session;
    const std::string_view target = flow->verdict.decision.target;
    spdlog::debug("tcp {} -> {} ({}): {}", session.source().to_string(),
                  session.destination().to_string(), flow->domain.empty() ? "-" : flow->domain,
                  rules::describe(flow->verdict));
    outbound::Outbound* chosen = flow->outbounds->find(target);
    if (chosen == nullptr) {
        // The config loader checks every target; a miss here is a bug, not user error.
        flow->session->refuse("no outbound named " + std::string(target));
        return;
    }
    if (chosen->type() == outbound::OutboundType::reject) {
        ++stats_.rejected;
        flow->session->refuse("rejected by " + rules::describe(flow->verdict));
        return;
    }
    connect(flow, *chosen);
}

void TcpFlowRouter::connect(const std::shared_ptr<Flow>& flow, outbound::Outbound& chosen) {
    outbound::Target target;
    target.domain = flow->domain;
    if (!flow->fake) target.address = flow->session->destination().address;
    target.port = flow->session->destination().port;
    target.resolved = flow->resolved;
    chosen.connect(target, [this, flow, via = chosen.name()](
                               const boost::system::error_code& ec,
                               std::unique_ptr<outbound::Stream> stream, std::string reason) {
        // Closed meanwhile (app reset, shutdown): the router may be gone; the stream goes.
        if (flow->session->state() == TcpSessionState::closed) return;
        if (ec) {
            ++stats_.dial_failed;
            flow->session->refuse(via + ": " + reason);
            return;
        }
        ++stats_.relayed;
        flow->session->attach(std::move(stream));
    });
}

void TcpFlowRouter::log_unknown_fake_ip(const TcpSession& session) {
    ++unknown_since_log_;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_unknown_log_ < std::chrono::seconds(1)) return;
    spdlog::warn(
        "tcp {} -> {}: fake IP not in the pool (a stale address from before the "
        "store was reset?): reset ({} such connections since the last line)",
        session.source().to_string(), session.destination().to_string(), unknown_since_log_);
    last_unknown_log_ = now;
    unknown_since_log_ = 0;
}

}  // namespace shunt::netstack

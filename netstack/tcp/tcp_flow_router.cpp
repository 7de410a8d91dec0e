#include "netstack/tcp/tcp_flow_router.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

extern "C" {
#include <lwip/tcp.h>
}

#include "flow/flow_classifier.hpp"
#include "flow/flow_registry.hpp"

namespace shunt::netstack {

TcpFlowRouter::TcpFlowRouter(boost::asio::any_io_executor executor,
                             flow::FlowClassifier& classifier, flow::FlowRegistry& registry,
                             TcpRouterOptions options)
    : executor_(std::move(executor)),
      classifier_(classifier),
      registry_(registry),
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
        on_closed(*session);
    }
}

void TcpFlowRouter::on_accept(tcp_pcb* pcb) {
    ++stats_.accepted;
    auto session = std::make_shared<TcpSession>(
        executor_, pcb, options_.session,
        [this](TcpSession& closed, CloseReason) { on_closed(closed); });
    // Everything from here may reset the pcb, which lwIP forbids inside its accept
    // callback: continue from the loop.
    if (sessions_.size() >= options_.max_flows) {
        ++stats_.refused_cap;
        if (stats_.refused_cap == 1 || stats_.refused_cap % 1000 == 0)
            spdlog::warn("tcp: {} concurrent flows (the cap): refusing new ones ({} so far)",
                         sessions_.size(), stats_.refused_cap);
        // Never in sessions_, so close_all would not reach it: it must not call back.
        session->forget_owner();
        boost::asio::post(executor_, [session] { session->close(CloseReason::outbound_failed); });
        return;
    }
    sessions_.emplace(session->id(), session);
    boost::asio::post(executor_, [this, session] {
        if (session->state() != TcpSessionState::closed) route(session);
    });
}

void TcpFlowRouter::on_closed(TcpSession& session) {
    sessions_.erase(session.id());
    if (session.live_flow() != nullptr) registry_.remove(*session.live_flow());
}

void TcpFlowRouter::route(const std::shared_ptr<TcpSession>& session) {
    auto flow =
        classifier_.classify({rules::Network::tcp, session->source(), session->destination()});
    if (flow->outcome != flow::FlowOutcome::deciding) {
        connect(session, flow);
        return;
    }
    classifier_.resolve(flow, [this, session, flow] {
        // Closed meanwhile (app reset, shutdown): the router may be gone.
        if (session->state() == TcpSessionState::closed) return;
        connect(session, flow);
    });
}

void TcpFlowRouter::connect(const std::shared_ptr<TcpSession>& session,
                            const std::shared_ptr<flow::ClassifiedFlow>& flow) {
    switch (flow->outcome) {
        case flow::FlowOutcome::unknown_fake_ip:
            ++stats_.unknown_fake_ip;
            session->close(CloseReason::outbound_failed);
            return;
        case flow::FlowOutcome::rejected:
            ++stats_.rejected;
            session->refuse(flow->refusal);
            return;
        case flow::FlowOutcome::no_outbound:
            session->refuse(flow->refusal);
            return;
        case flow::FlowOutcome::deciding:  // resolve() always ends the decision
        case flow::FlowOutcome::routed:
            break;
    }
    outbound::Outbound& chosen = *flow->outbound;
    chosen.connect(flow->target(),
                   [this, session, flow, via = chosen.name()](
                       const boost::system::error_code& ec,
                       std::unique_ptr<outbound::Stream> stream, std::string reason) {
                       // Closed meanwhile (app reset, shutdown): the router may be gone; the stream
                       // goes.
                       if (session->state() == TcpSessionState::closed) return;
                       if (ec) {
                           ++stats_.dial_failed;
                           session->refuse(via + ": " + reason);
                           return;
                       }
                       ++stats_.relayed;
                       auto live = std::make_unique<flow::LiveFlow>(flow::FlowRecord::from(*flow));
                       registry_.add(*live, *session);
                       session->attach(std::move(stream), std::move(live));
                   });
}

}  // namespace shunt::netstack

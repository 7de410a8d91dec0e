#include "outbound/resolving_udp_outbound.hpp"

namespace shunt::outbound {

ResolvingUdpOutbound::ResolvingUdpOutbound(std::string domain, AddressLookup lookup,
                                           Connect connect)
    : domain_(std::move(domain)), lookup_(std::move(lookup)), connect_(std::move(connect)) {}

ResolvingUdpOutbound::~ResolvingUdpOutbound() {
    close();
}

void ResolvingUdpOutbound::start(ReceiveHandler on_receive, ErrorHandler on_error) {
    on_receive_ = std::move(on_receive);
    on_error_ = std::move(on_error);
    lookup_(domain_, [this, alive = std::weak_ptr<bool>(alive_)](
                         const boost::system::error_code& ec, std::vector<IpAddress> addresses) {
        if (alive.expired()) return;
        on_resolved(ec, std::move(addresses));
    });
}

void ResolvingUdpOutbound::on_resolved(const boost::system::error_code& ec,
                                       std::vector<IpAddress> addresses) {
    if (closed_) return;
    std::optional<IpAddress> resolved;
    if (!ec && !addresses.empty()) resolved = addresses.front();
    std::string refusal;
    inner_ = connect_(resolved, refusal);
    if (!inner_) {
        pending_.clear();
        on_error_(refusal.empty() ? "resolve " + domain_ + ": " + ec.message() : refusal);
        return;
    }
    inner_->start([this](std::span<const std::uint8_t> payload,
                         const Endpoint& from) { on_receive_(payload, from); },
                  [this](std::string_view reason) { on_error_(reason); });
    pending_.drain([this](std::span<const std::uint8_t> payload,
                          const Endpoint& destination) { inner_->send(payload, destination); },
                   [this] { return !closed_; });
}

UdpSendResult ResolvingUdpOutbound::send(std::span<const std::uint8_t> payload,
                                         const Endpoint& destination) {
    if (closed_) return UdpSendResult::failed;
    if (inner_) return inner_->send(payload, destination);
    return pending_.push(payload, destination);
}

void ResolvingUdpOutbound::close() {
    if (closed_) return;
    closed_ = true;
    *alive_ = false;
    alive_.reset();
    pending_.clear();
    if (inner_) inner_->close();
}

}  // namespace shunt::outbound

#include "outbound/mux/client/mux_udp_outbound.hpp"

#include "outbound/mux/client/mux_outbound.hpp"

namespace shunt::outbound::mux {

MuxUdpOutbound::MuxUdpOutbound(std::shared_ptr<CarrierPool> pool, const Target& target,
                               const Endpoint& as_seen)
    : pool_(std::move(pool)), target_(target), as_seen_(as_seen) {}

MuxUdpOutbound::~MuxUdpOutbound() {
    close();
}

void MuxUdpOutbound::start(ReceiveHandler on_receive, ErrorHandler on_error) {
    on_receive_ = std::move(on_receive);
    on_error_ = std::move(on_error);
    pool_->open(Network::udp, wire_address(target_),
                [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec,
                                                            std::unique_ptr<MuxStream> stream,
                                                            std::string reason) {
                    if (alive.expired()) return;  // closed meanwhile: the stream goes (RESET)
                    on_open(ec, std::move(stream), reason);
                });
}

void MuxUdpOutbound::on_open(const boost::system::error_code& ec, std::unique_ptr<MuxStream> stream,
                             const std::string& reason) {
    if (closed_) return;
    if (ec) {
        pending_.clear();
        on_error_("mux: " + reason);
        return;
    }
    stream_ = std::move(stream);
    stream_->on_datagram([this](const DatagramPayload& datagram) { on_datagram(datagram); });
    stream_->on_end([this](const boost::system::error_code&, const std::string& why) {
        if (!closed_) on_error_("mux stream ended: " + why);
    });
    pending_.drain(
        [this](std::span<const std::uint8_t> payload, const Endpoint& destination) {
            stream_->send_datagram(destination_for(destination), payload);
        },
        [this] { return !closed_; });
}

HostPort MuxUdpOutbound::destination_for(const Endpoint& destination) const {
    if (destination == as_seen_) return wire_address(target_);
    HostPort address;
    address.address = destination.address;
    address.port = destination.port;
    return address;
}

void MuxUdpOutbound::on_datagram(const DatagramPayload& datagram) {
    if (closed_) return;
    const auto& from = datagram.address;
    Endpoint source;
    if (!from.address) {
        if (from.domain != target_.domain || from.port != target_.port) return;
        source = as_seen_;
    } else {
        source = Endpoint{*from.address, from.port};
        // The server resolved the name: a reply from the target's port is the target's.
        const bool from_target =
            target_.address ? *target_.address == *from.address : !target_.domain.empty();
        if (from_target && from.port == target_.port) source = as_seen_;
    }
    on_receive_(datagram.data, source);
}

UdpSendResult MuxUdpOutbound::send(std::span<const std::uint8_t> payload,
                                   const Endpoint& destination) {
    if (closed_) return UdpSendResult::failed;
    if (stream_)
        return stream_->send_datagram(destination_for(destination), payload)
                   ? UdpSendResult::sent
                   : UdpSendResult::would_block;
    return pending_.push(payload, destination);
}

void MuxUdpOutbound::close() {
    if (closed_) return;
    closed_ = true;
    *alive_ = false;
    alive_.reset();
    pending_.clear();
    if (stream_) stream_->close(false);
}

}  // namespace shunt::outbound::mux

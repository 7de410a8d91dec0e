#include "outbound/mux/client/mux_outbound.hpp"

#include "outbound/mux/client/mux_udp_outbound.hpp"

namespace shunt::outbound::mux {

HostPort wire_address(const Target& target) {
    HostPort address;
    if (!target.domain.empty())
        address.domain = target.domain;
    else
        address.address = target.address;
    address.port = target.port;
    return address;
}

MuxOutbound::MuxOutbound(boost::asio::any_io_executor executor, MuxClientOptions options,
                         AddressLookup lookup)
    : executor_(executor),
      name_(options.name),
      udp_(options.udp),
      pool_(std::make_shared<CarrierPool>(std::move(executor), std::move(options),
                                          std::move(lookup))) {}

MuxOutbound::~MuxOutbound() {
    // Flows already relaying keep their carriers until they finish (a reload replaces
    // outbounds; it must not cut connections).
    pool_->retire();
}

void MuxOutbound::connect(const Target& target, ConnectHandler handler) {
    pool_->open(Network::tcp, wire_address(target),
                [handler = std::move(handler)](
                    const boost::system::error_code& ec, std::unique_ptr<MuxStream> stream,
                    std::string reason) { handler(ec, std::move(stream), std::move(reason)); });
}

std::unique_ptr<UdpOutbound> MuxOutbound::open_udp(const Target& target, const Endpoint& as_seen,
                                                   std::string& refusal) {
    if (!udp_) {
        refusal = "udp = false";
        return nullptr;
    }
    return std::make_unique<MuxUdpOutbound>(pool_, target, as_seen);
}

}  // namespace shunt::outbound::mux

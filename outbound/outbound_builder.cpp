#include "outbound/outbound_builder.hpp"

#include "outbound/direct/direct_outbound.hpp"
#include "outbound/reject_outbound.hpp"

namespace shunt::outbound {

std::shared_ptr<OutboundSet> build_outbounds(const Config& config,
                                             boost::asio::any_io_executor executor,
                                             AddressLookup lookup) {
    DirectOptions direct;
    direct.routing_mark = config.tun.routing_mark;
    direct.connect_timeout = config.tun.connect_timeout;
    auto set =
        std::make_shared<OutboundSet>(std::make_shared<DirectOutbound>(executor, direct, lookup),
                                      std::make_shared<RejectOutbound>(executor));
    set->build_global();
    return set;
}

}  // namespace shunt::outbound

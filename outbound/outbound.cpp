#include "outbound/outbound.hpp"

namespace shunt::outbound {

std::string Target::to_string() const {
    if (!domain.empty()) return domain + ":" + std::to_string(port);
    if (address) return Endpoint{*address, port}.to_string();
    return "?:" + std::to_string(port);
}

std::string_view to_string(OutboundType type) {
    switch (type) {
        case OutboundType::direct:
            return "direct";
        case OutboundType::reject:
            return "reject";
        case OutboundType::socks5:
            return "socks5";
        case OutboundType::mux:
            return "mux";
        case OutboundType::select:
            return "select";
        case OutboundType::url_test:
            return "url-test";
        case OutboundType::fallback:
            return "fallback";
    }
    return "?";
}

const std::vector<std::shared_ptr<Outbound>>& Outbound::members() const {
    static const std::vector<std::shared_ptr<Outbound>> none;
    return none;
}

}  // namespace shunt::outbound

#include "outbound/reject_outbound.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

namespace shunt::outbound {

void RejectOutbound::connect(const Target&, ConnectHandler handler) {
    boost::asio::post(executor_, [handler = std::move(handler)] {
        handler(boost::asio::error::connection_refused, nullptr, "rejected");
    });
}

std::unique_ptr<UdpOutbound> RejectOutbound::open_udp(const Target&, const Endpoint&,
                                                      std::string& refusal) {
    refusal = "rejected";
    return nullptr;
}

}  // namespace shunt::outbound

#include "outbound/socks5/socks5_outbound.hpp"

#include <boost/asio/post.hpp>

#include "outbound/socks5/socks5_proxy_dial.hpp"
#include "outbound/socks5/socks5_udp_outbound.hpp"
#include "outbound/tcp_socket_stream.hpp"

namespace shunt::outbound {

std::optional<HostPort> socks5_target_address(const Target& target) {
    if (!target.domain.empty()) return HostPort{target.domain, {}, target.port};
    if (target.address) return HostPort{{}, *target.address, target.port};
    return std::nullopt;
}

Socks5Outbound::Socks5Outbound(boost::asio::any_io_executor executor, Socks5Options options,
                               AddressLookup lookup)
    : executor_(std::move(executor)),
      options_(std::make_shared<const Socks5Options>(std::move(options))),
      lookup_(std::move(lookup)) {}

void Socks5Outbound::connect(const Target& target, ConnectHandler handler) {
    const std::string prefix =
        "socks5 " + options_->name + ": connect " + target.to_string() + ": ";
    const auto address = socks5_target_address(target);
    if (!address) {
        boost::asio::post(executor_, [handler = std::move(handler), prefix] {
            handler(boost::asio::error::invalid_argument, nullptr,
                    prefix + "target has neither a domain nor an address");
        });
        return;
    }
    Socks5Request request;
    request.command = Socks5Command::connect;
    request.target = *address;
    Socks5ProxyDial::create(executor_, options_, lookup_)
        ->start(std::move(request),
                [handler = std::move(handler), prefix](boost::system::error_code error,
                                                       boost::asio::ip::tcp::socket socket,
                                                       HostPort, IpAddress, std::string reason) {
                    // Already posted by the dial: this runs outside connect().
                    if (error) {
                        handler(error, nullptr, prefix + reason);
                        return;
                    }
                    handler({}, std::make_unique<TcpSocketStream>(std::move(socket)), {});
                });
}

std::unique_ptr<UdpOutbound> Socks5Outbound::open_udp(const Target& target, const Endpoint& as_seen,
                                                      std::string& refusal) {
    if (!options_->udp) {
        refusal = "socks5 " + options_->name + ": udp = false";
        return nullptr;
    }
    if (!socks5_target_address(target)) {
        refusal = "socks5 " + options_->name + ": target has neither a domain nor an address";
        return nullptr;
    }
    return std::make_unique<Socks5UdpOutbound>(executor_, options_, lookup_, target, as_seen);
}

}  // namespace shunt::outbound

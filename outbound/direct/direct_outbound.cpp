#include "outbound/direct/direct_outbound.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "net/happy_eyeballs_dialer.hpp"
#include "outbound/direct/direct_udp_outbound.hpp"
#include "outbound/resolving_udp_outbound.hpp"
#include "outbound/tcp_socket_stream.hpp"

namespace shunt::outbound {

DirectOutbound::DirectOutbound(boost::asio::any_io_executor executor, DirectOptions options,
                               AddressLookup lookup)
    : executor_(std::move(executor)),
      options_(options),
      lookup_(std::move(lookup)),
      receive_buffer_(std::make_shared<std::vector<std::uint8_t>>()) {}

void DirectOutbound::connect(const Target& target, ConnectHandler handler) {
    if (target.address) {
        dial({*target.address}, target, std::move(handler));
        return;
    }
    if (!target.resolved.empty()) {
        dial(target.resolved, target, std::move(handler));
        return;
    }
    if (target.domain.empty()) {
        boost::asio::post(executor_, [handler = std::move(handler)] {
            handler(boost::asio::error::host_not_found, nullptr, "direct: no address to dial");
        });
        return;
    }
    lookup_(target.domain,
            [this, target, handler = std::move(handler)](const boost::system::error_code& ec,
                                                         std::vector<IpAddress> addresses) mutable {
                if (ec || addresses.empty()) {
                    handler(ec ? ec : make_error_code(boost::asio::error::host_not_found), nullptr,
                            "resolve " + target.domain + ": " +
                                (ec ? ec.message() : std::string("no address")));
                    return;
                }
                dial(std::move(addresses), target, std::move(handler));
            });
}

void DirectOutbound::dial(std::vector<IpAddress> candidates, const Target& target,
                          ConnectHandler handler) {
    HappyEyeballsOptions options;
    options.routing_mark = options_.routing_mark;
    options.deadline = options_.connect_timeout;
    auto dialer = HappyEyeballsDialer::create(executor_, options);
    const std::string label = target.domain.empty() ? std::string() : target.domain + ": ";
    dialer->start(std::move(candidates), target.port,
                  [handler = std::move(handler), label](boost::system::error_code ec,
                                                        boost::asio::ip::tcp::socket socket,
                                                        IpAddress, std::string reason) {
                      if (ec) {
                          handler(ec, nullptr, "dial " + label + reason);
                          return;
                      }
                      handler({}, std::make_unique<TcpSocketStream>(std::move(socket)), {});
                  });
}

std::unique_ptr<UdpOutbound> DirectOutbound::open_udp(const Target& target, const Endpoint& as_seen,
                                                      std::string& refusal) {
    if (target.address)
        return open_socket(as_seen, Endpoint{*target.address, target.port}, refusal);
    if (!target.resolved.empty())
        return open_socket(as_seen, Endpoint{target.resolved.front(), target.port}, refusal);
    if (target.domain.empty()) {
        refusal = "direct: no address to send to";
        return nullptr;
    }
    // Known only by name: resolve first; datagrams wait in the resolver's small queue.
    auto connect = [this, as_seen, port = target.port, domain = target.domain](
                       const std::optional<IpAddress>& resolved,
                       std::string& why) -> std::unique_ptr<UdpOutbound> {
        if (!resolved) {
            why = "udp: " + domain + " has no address";
            return nullptr;
        }
        return open_socket(as_seen, Endpoint{*resolved, port}, why);
    };
    return std::make_unique<ResolvingUdpOutbound>(target.domain, lookup_, std::move(connect));
}

std::unique_ptr<UdpOutbound> DirectOutbound::open_socket(const Endpoint& as_seen,
                                                         const Endpoint& remote,
                                                         std::string& refusal) {
    boost::asio::ip::udp::socket socket(executor_);
    // A v6 remote needs a v6 socket; v4 remotes use a plain v4 socket unless the options ask
    // for dual stack.
    const UdpStack stack = remote.address.is_v6() ? UdpStack::dual_stack : options_.udp_stack;
    const auto status = open_direct_udp_socket(socket, stack, options_.routing_mark);
    if (!status.ok()) {
        refusal = "direct: cannot open a UDP socket: " + status.describe();
        return nullptr;
    }
    return std::make_unique<DirectUdpOutbound>(std::move(socket), receive_buffer_, as_seen, remote);
}

}  // namespace shunt::outbound

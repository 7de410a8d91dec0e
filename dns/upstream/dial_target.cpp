#include "dns/upstream/dial_target.hpp"

#include "net/asio_address.hpp"

#include <boost/asio/post.hpp>

#include "dns/upstream/bootstrap_resolver.hpp"

namespace shunt::dns {

namespace {

std::vector<boost::asio::ip::tcp::endpoint> to_endpoints(const std::vector<IpAddress>& addresses,
                                                         std::uint16_t port) {
    std::vector<boost::asio::ip::tcp::endpoint> out;
    for (const auto& a : addresses) out.emplace_back(to_asio_address(a), port);
    return out;
}

}  // namespace

DialTarget::DialTarget(boost::asio::any_io_executor executor, const UpstreamSpec& spec,
                       const UpstreamOptions& options)
    : executor_(std::move(executor)), port_(spec.port) {
    if (spec.address) {
        fixed_.push_back(*spec.address);
    } else {
        resolver_ = std::make_shared<BootstrapResolver>(executor_, spec.host, options);
    }
}

void DialTarget::resolve(Callback callback) {
    if (!resolver_) {
        boost::asio::post(
            executor_, [callback = std::move(callback), endpoints = to_endpoints(fixed_, port_)] {
                callback({}, endpoints);
            });
        return;
    }
    resolver_->resolve([port = port_, callback = std::move(callback)](
                           boost::system::error_code ec, std::vector<IpAddress> addresses) {
        callback(ec, to_endpoints(addresses, port));
    });
}

void DialTarget::close() {
    if (resolver_) resolver_->close();
}

}  // namespace shunt::dns

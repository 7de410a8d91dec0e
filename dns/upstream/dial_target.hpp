// Where a stream upstream connects: the address written in its spec, or the
// addresses its host name resolves to through the bootstrap upstreams.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "config/upstream_spec.hpp"
#include "net/ip_address.hpp"

namespace shunt::dns {

class BootstrapResolver;
struct UpstreamOptions;

class DialTarget {
  public:
    using Callback =
        std::function<void(boost::system::error_code, std::vector<boost::asio::ip::tcp::endpoint>)>;

    // Makes a BootstrapResolver when `spec` needs one (see UpstreamSpec::needs_bootstrap).
    DialTarget(boost::asio::any_io_executor executor, const UpstreamSpec& spec,
               const UpstreamOptions& options);

    // Always completes through the executor, never inside this call.
    void resolve(Callback callback);
    void close();

  private:
    boost::asio::any_io_executor executor_;
    std::uint16_t port_;
    std::vector<IpAddress> fixed_;
    std::shared_ptr<BootstrapResolver> resolver_;
};

}  // namespace shunt::dns

// make_upstream(): the one place that knows which class serves which scheme.
#include <stdexcept>

#include "dns/upstream/doh_upstream.hpp"
#include "dns/upstream/stream_upstream.hpp"
#include "dns/upstream/tls_client_context.hpp"
#include "dns/upstream/udp_upstream.hpp"
#include "dns/upstream/upstream.hpp"

namespace shunt::dns {

std::shared_ptr<Upstream> make_upstream(boost::asio::any_io_executor executor,
                                        const UpstreamSpec& spec, const UpstreamOptions& options) {
    switch (spec.scheme) {
        case UpstreamSpec::Scheme::udp:
            return std::make_shared<UdpUpstream>(executor, spec, options);
        case UpstreamSpec::Scheme::tcp:
            return std::make_shared<StreamUpstream>(executor, spec, options,
                                                    [executor, mark = options.routing_mark] {
                                                        return make_tcp_transport(executor, mark);
                                                    });
        case UpstreamSpec::Scheme::tls: {
            auto tls = std::make_shared<TlsClientContext>(options.ca_file, "");
            return std::make_shared<StreamUpstream>(
                executor, spec, options,
                [executor, tls, name = spec.tls_name, mark = options.routing_mark] {
                    return make_tls_transport(executor, tls, name, mark);
                });
        }
        case UpstreamSpec::Scheme::https: {
            auto tls = std::make_shared<TlsClientContext>(options.ca_file, "http/1.1");
            return std::make_shared<DohUpstream>(executor, spec, options, std::move(tls));
        }
    }
    throw std::invalid_argument("unknown upstream scheme in \"" + spec.text + "\"");
}

}  // namespace shunt::dns

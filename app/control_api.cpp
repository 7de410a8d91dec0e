#include "app/control_api.hpp"

#include "api/configs_endpoints.hpp"
#include "api/connections_endpoints.hpp"
#include "api/dns_endpoints.hpp"
#include "api/ebpf_endpoints.hpp"
#include "api/proxies_endpoints.hpp"
#include "api/rules_endpoints.hpp"
#include "api/static_files.hpp"
#include "api/stream_endpoints.hpp"
#include "api/version_endpoints.hpp"
#include "flow/destination_names.hpp"

namespace shunt::app {

api::GuardSettings guard_settings(const ApiConfig& api) {
    api::GuardSettings guard;
    guard.secret = api.secret;
    guard.allow_origins = api.allow_origins;
    guard.loopback_listen = !api.listen || api.listen->address.is_loopback();
    if (api.listen) guard.listen_host = api.listen->address.to_string();
    return guard;
}

std::unique_ptr<api::ApiServer> make_control_api(boost::asio::any_io_executor executor,
                                                 const Config& config, ControlApiParts parts) {
    const ApiConfig& api = *config.api;
    api::ApiServerOptions options;
    if (api.listen) options.listen.push_back(*api.listen);
    options.unix_path = api.unix_socket;
    options.guard = guard_settings(api);
    options.limits.max_connections = api.max_connections;

    api::ApiRouter router;
    api::add_version_endpoints(router);
    api::add_config_endpoints(router, parts.shunt);
    api::add_rule_endpoints(router, parts.shunt);
    auto history = std::make_shared<api::DelayHistory>();
    api::add_proxy_endpoints(router, parts.shunt, executor, history);
    api::add_delay_endpoints(router, parts.shunt, executor, history);
    api::add_connection_endpoints(
        router, api::ConnectionsSource{parts.registry,
                                       [&names = parts.names](const IpAddress& address) {
                                           return names.is_fake(address);
                                       },
                                       std::string(to_string(config.dns.mode)), executor});
    auto sampler = std::make_shared<api::TrafficSampler>(executor, parts.registry);
    api::add_stream_endpoints(router, sampler, parts.logs);
    api::add_dns_endpoints(router, executor, parts.dns, parts.registry);
    api::add_ebpf_endpoints(router, parts.shunt);
    api::add_static_file_endpoints(router, api.external_ui);
    return std::make_unique<api::ApiServer>(std::move(executor), std::move(options),
                                            std::move(router));
}

}  // namespace shunt::app

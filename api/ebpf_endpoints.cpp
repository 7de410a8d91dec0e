#include "api/ebpf_endpoints.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace shunt::api {

namespace {

boost::json::value status_json(const std::optional<ebpf::BypassStatus>& status) {
    if (!status) return {{"enabled", false}, {"state", "off"}};
    boost::json::array interfaces;
    for (const auto& name : status->interfaces) interfaces.emplace_back(name);
    const ebpf::BypassCounters& c = status->counters;
    return {{"enabled", true},
            {"active", status->active},
            {"state", status->state},
            {"interfaces", std::move(interfaces)},
            {"cgroup", status->cgroup},
            {"prefixes", status->prefixes},
            {"ipv4Share", status->v4_share},
            {"ipv6Share", status->v6_share},
            {"packets", c.packets},
            {"bytes", c.bytes},
            {"flows", c.flows},
            {"sockets", c.sockets},
            {"mapBytes", status->map_bytes},
            {"flowTableSize", status->flow_table_size}};
}

}  // namespace

void add_ebpf_endpoints(ApiRouter& router, RunningShunt& shunt) {
    router.add(boost::beast::http::verb::get, "/ebpf",
               [&shunt](const ApiRequest&, const PathParameters&) {
                   return json_response(boost::json::serialize(status_json(shunt.bypass_status())));
               });
}

}  // namespace shunt::api

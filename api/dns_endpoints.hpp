// GET /dns/query, POST /cache/fakeip/flush, POST /cache/dns/flush (docs/api.md §2.8): a
// query answered by shunt's own DNS exactly as an application's would be (the fake-IP
// pool included), shown in mihomo's JSON shape, and the two caches emptied — the fake-IP
// pool keeps the names of live flows, so no open connection loses its domain.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include "api/api_router.hpp"
#include "dns/server/dns_service.hpp"
#include "flow/flow_registry.hpp"

namespace shunt::api {

void add_dns_endpoints(ApiRouter& router, boost::asio::any_io_executor executor,
                       dns::DnsService& dns, flow::FlowRegistry& registry);

}  // namespace shunt::api

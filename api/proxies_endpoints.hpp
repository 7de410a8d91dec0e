// /proxies, /group and /providers/proxies (docs/api.md §2.3, §2.4): every outbound as a
// proxy object, switching select groups and pinning url-test and fallback groups, delay
// tests through an outbound or every member of a group, and the "default" provider the
// dashboards load beside /proxies.
#pragma once

#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "api/api_router.hpp"
#include "api/delay_history.hpp"
#include "api/running_shunt.hpp"

namespace shunt::api {

// Reading, selecting, pinning: every answer at once.
void add_proxy_endpoints(ApiRouter& router, RunningShunt& shunt,
                         boost::asio::any_io_executor executor,
                         std::shared_ptr<DelayHistory> history);
// Delay tests and the provider's health check: real probes through the outbounds,
// answered when they end (at most their timeout later).
void add_delay_endpoints(ApiRouter& router, RunningShunt& shunt,
                         boost::asio::any_io_executor executor,
                         std::shared_ptr<DelayHistory> history);

}  // namespace shunt::api

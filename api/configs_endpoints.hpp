// GET, PATCH and PUT /configs (docs/api.md §2.2): the general settings as mihomo's
// dashboards read them, with honest values (no proxy inbounds: ports 0; the TUN stack is
// lwIP); the mode and the log level switched at runtime; a reload of the running file.
#pragma once

#include <optional>
#include <string_view>

#include "api/api_router.hpp"
#include "api/running_shunt.hpp"

namespace shunt::api {

void add_config_endpoints(ApiRouter& router, RunningShunt& shunt);

// mihomo's level names: debug, info, warning, error, silent (shunt's trace shows as debug,
// off as silent). Parsing is case-insensitive and takes shunt's own names too.
std::string_view mihomo_log_level(LogLevel level);
std::optional<LogLevel> log_level_from_mihomo(std::string_view name);

}  // namespace shunt::api

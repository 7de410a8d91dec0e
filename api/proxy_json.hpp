// Outbounds as mihomo's API shows them (docs/api.md §2.3): one proxy object per outbound
// with the fields dashboards need — name, type in mihomo's names, history and alive from
// the delay tests, and for groups now, all, testUrl; GLOBAL's members in mihomo's order.
#pragma once

#include <boost/json/value.hpp>

#include "api/delay_history.hpp"
#include "config/config.hpp"
#include "outbound/outbound.hpp"

namespace shunt::api {

// "Direct", "Reject", "Socks5", "Mux", "Selector", "URLTest", "Fallback".
std::string_view mihomo_proxy_type(outbound::OutboundType type);

bool is_group(const outbound::Outbound& outbound);

// A group's members as `all` lists them: in config order, except GLOBAL, which mihomo
// starts with DIRECT and REJECT.
std::vector<std::shared_ptr<outbound::Outbound>> listed_members(const outbound::Outbound& group);

boost::json::object proxy_json(const outbound::Outbound& outbound, const Config& config,
                               const DelayHistory& history);

}  // namespace shunt::api

#include "api/proxy_json.hpp"

#include <algorithm>

#include "outbound/group/probing_group.hpp"

namespace shunt::api {

using outbound::OutboundType;

namespace {

const ProxyConfig* proxy_config(const Config& config, const std::string& name) {
    for (const auto& proxy : config.proxies)
        if (proxy.name == name) return &proxy;
    return nullptr;
}

const GroupConfig* group_config(const Config& config, const std::string& name) {
    for (const auto& group : config.groups)
        if (group.name == name) return &group;
    return nullptr;
}

bool carries_udp(const outbound::Outbound& outbound, const Config& config) {
    if (const auto* member = outbound.selected_member()) return carries_udp(*member, config);
    const auto* proxy = proxy_config(config, outbound.name());
    if (proxy == nullptr) return true;  // DIRECT, REJECT (which answers UDP by dropping)
    return proxy->type == ProxyType::socks5 ? proxy->socks5.udp : proxy->mux.udp;
}

}  // namespace

std::string_view mihomo_proxy_type(OutboundType type) {
    switch (type) {
        case OutboundType::direct:
            return "Direct";
        case OutboundType::reject:
            return "Reject";
        case OutboundType::socks5:
            return "Socks5";
        case OutboundType::mux:
            return "Mux";
        case OutboundType::select:
            return "Selector";
        case OutboundType::url_test:
            return "URLTest";
        case OutboundType::fallback:
            return "Fallback";
    }
    return "Unknown";
}

bool is_group(const outbound::Outbound& outbound) {
    return outbound.type() == OutboundType::select || outbound.type() == OutboundType::url_test ||
           outbound.type() == OutboundType::fallback;
}

std::vector<std::shared_ptr<outbound::Outbound>> listed_members(const outbound::Outbound& group) {
    std::vector<std::shared_ptr<outbound::Outbound>> members = group.members();
    if (group.name() == "GLOBAL")
        std::stable_partition(members.begin(), members.end(), [](const auto& member) {
            return member->type() == OutboundType::direct || member->type() == OutboundType::reject;
        });
    return members;
}

boost::json::object proxy_json(const outbound::Outbound& outbound, const Config& config,
                               const DelayHistory& history) {
    const std::string& name = outbound.name();
    boost::json::object json{
        {"name", name},
        {"type", mihomo_proxy_type(outbound.type())},
        {"udp", carries_udp(outbound, config)},
        {"xudp", false},
        {"tfo", false},
        {"uot", false},
        {"mptcp", false},
        {"smux", false},
        {"alive", history.alive(name)},
        {"history", history.history_json(name)},
        {"extra", history.extra_json(name)},
        {"interface", ""},
        {"routing-mark", outbound.type() == OutboundType::reject ? 0 : config.tun.routing_mark},
        {"provider-name", ""},
        {"dialer-proxy", ""},
    };
    if (!is_group(outbound)) {
        json["id"] = name;
        return json;
    }
    boost::json::array all;
    for (const auto& member : listed_members(outbound)) all.emplace_back(member->name());
    json["now"] = outbound.selected_member() ? outbound.selected_member()->name() : "";
    json["all"] = std::move(all);
    json["hidden"] = false;
    json["icon"] = "";
    const auto* group = group_config(config, name);
    if (outbound.type() == OutboundType::select) {
        json["testUrl"] = "";
    } else {
        json["testUrl"] = group ? group->url.text : "";
        json["expectedStatus"] = "*";
        const auto* pinned = static_cast<const outbound::ProbingGroup&>(outbound).pinned();
        json["fixed"] = pinned ? pinned->name() : "";
    }
    return json;
}

}  // namespace shunt::api

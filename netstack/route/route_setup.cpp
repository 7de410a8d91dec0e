#include <net/if.h>  // before the linux/ headers, which defer to it

#include <linux/fib_rules.h>
#include <linux/if_link.h>

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <system_error>
#include <utility>

#include "netstack/route/netlink_socket.hpp"
#include "netstack/route/route_setup.hpp"

namespace shunt::netstack {

namespace {

int family_of(IpAddress::Family family) {
    return family == IpAddress::Family::v4 ? AF_INET : AF_INET6;
}

const char* family_flag(int family) {
    return family == AF_INET ? "-4" : "-6";
}

// Tables above 255 only fit in the 32-bit attribute; the header's byte then says so.
std::uint8_t header_table(std::uint32_t table) {
    return static_cast<std::uint8_t>(table < 256 ? table : std::uint32_t{RT_TABLE_UNSPEC});
}

// "Already gone" answers of a delete: the item was removed by someone else, or went away
// with its device (routes through a deleted TUN disappear with it).
bool already_gone(int error) {
    return error == ENOENT || error == ESRCH || error == ENODEV;
}

struct RouteSpec {
    int family = AF_INET;
    std::array<std::uint8_t, 16> destination{};
    int length = 0;
    std::uint32_t table = RT_TABLE_MAIN;
};

NetlinkMessage route_request(const RouteSpec& spec, int ifindex) {
    rtmsg header{};
    header.rtm_family = static_cast<std::uint8_t>(spec.family);
    header.rtm_dst_len = static_cast<std::uint8_t>(spec.length);
    header.rtm_table = header_table(spec.table);
    header.rtm_protocol = kShuntRouteProtocol;
    // A route through a point-to-point device needs no gateway; IPv4 calls that scope
    // "link" (as `ip route add ... dev` does), IPv6 has only "universe".
    header.rtm_scope = spec.family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    header.rtm_type = RTN_UNICAST;
    NetlinkMessage message(RTM_NEWROUTE, 0, header);
    if (spec.length > 0) {
        message.add_attribute(RTA_DST, spec.destination.data(), spec.family == AF_INET ? 4 : 16);
    }
    message.add_u32(RTA_TABLE, spec.table);
    message.add_u32(RTA_OIF, static_cast<std::uint32_t>(ifindex));
    return message;
}

struct RuleSpec {
    int family = AF_INET;
    std::uint32_t priority = 0;
    std::uint32_t table = RT_TABLE_MAIN;
    std::optional<std::uint32_t> fwmark;
    bool suppress_default = false;  // suppress_prefixlength 0
    std::string input_interface;
};

NetlinkMessage rule_request(const RuleSpec& spec) {
    fib_rule_hdr header{};
    header.family = static_cast<std::uint8_t>(spec.family);
    header.table = header_table(spec.table);
    header.action = FR_ACT_TO_TBL;
    NetlinkMessage message(RTM_NEWRULE, 0, header);
    message.add_u32(FRA_PRIORITY, spec.priority);
    message.add_u32(FRA_TABLE, spec.table);
    message.add_u8(FRA_PROTOCOL, kShuntRouteProtocol);
    if (spec.fwmark) {
        message.add_u32(FRA_FWMARK, *spec.fwmark);
        message.add_u32(FRA_FWMASK, 0xffffffff);
    }
    if (spec.suppress_default) message.add_u32(FRA_SUPPRESS_PREFIXLEN, 0);
    if (!spec.input_interface.empty()) message.add_string(FRA_IFNAME, spec.input_interface);
    return message;
}

std::string table_name(std::uint32_t table) {
    return table == RT_TABLE_MAIN ? "main" : std::to_string(table);
}

std::string describe_route(const RouteSpec& spec, const std::string& device) {
    std::string destination = "default";
    if (spec.length > 0) {
        const IpAddress address =
            spec.family == AF_INET ? IpAddress::from_v4((std::uint32_t{spec.destination[0]} << 24) |
                                                        (std::uint32_t{spec.destination[1]} << 16) |
                                                        (std::uint32_t{spec.destination[2]} << 8) |
                                                        spec.destination[3])
                                   : IpAddress::from_v6(spec.destination);
        destination = address.to_string() + "/" + std::to_string(spec.length);
    }
    return std::string("route ") + family_flag(spec.family) + " " + destination + " dev " + device +
           " table " + table_name(spec.table) + " proto " + std::to_string(kShuntRouteProtocol);
}

std::string describe_rule(const RuleSpec& spec) {
    std::string text =
        std::string("rule ") + family_flag(spec.family) + " prio " + std::to_string(spec.priority);
    if (spec.fwmark) {
        char mark[16];
        std::snprintf(mark, sizeof(mark), "0x%x", *spec.fwmark);
        text += std::string(" fwmark ") + mark;
    }
    if (!spec.input_interface.empty()) text += " iif " + spec.input_interface;
    text += " lookup " + table_name(spec.table);
    if (spec.suppress_default) text += " suppress_prefixlength 0";
    return text;
}

std::vector<std::uint8_t> to_bytes(const NetlinkMessage& message) {
    auto bytes = message.bytes();
    return {bytes.begin(), bytes.end()};
}

}  // namespace

RouteSetup::RouteSetup(RoutePlan plan) : plan_(std::move(plan)) {}

RouteSetup::~RouteSetup() {
    remove();
}

std::vector<RouteSetup::Item> RouteSetup::build_items() const {
    std::vector<Item> items;
    auto add_route = [&](RouteSpec spec) {
        items.push_back({describe_route(spec, plan_.tun_name),
                         to_bytes(route_request(spec, plan_.tun_ifindex))});
    };
    auto add_rule = [&](const RuleSpec& spec) {
        items.push_back({describe_rule(spec), to_bytes(rule_request(spec))});
    };
    std::vector<int> families{AF_INET};
    if (plan_.ipv6) families.push_back(AF_INET6);
    const bool policy_routing = plan_.auto_route || !plan_.lan_interfaces.empty();

    // Routes first (see apply()).
    for (const Prefix& prefix : plan_.captured) {
        // Without auto_route the captured ranges live in main, where every local socket
        // looks. With auto_route they live only in shunt's table: main must not hold them,
        // or shunt's own marked sockets (fwmark -> main) could loop into the TUN.
        add_route({family_of(prefix.family()), prefix.base().bytes(), prefix.length(),
                   plan_.auto_route ? plan_.table : RT_TABLE_MAIN});
    }
    if (policy_routing) {
        for (int family : families) add_route({family, {}, 0, plan_.table});
    }
    if (!policy_routing) return items;

    for (int family : families) {
        add_rule({family, plan_.rule_priority, RT_TABLE_MAIN, plan_.routing_mark, false, {}});
        add_rule({family, plan_.rule_priority + 1, RT_TABLE_MAIN, std::nullopt, true, {}});
        if (plan_.auto_route) {
            add_rule({family, plan_.rule_priority + 2, plan_.table, std::nullopt, false, {}});
        }
        for (const std::string& lan : plan_.lan_interfaces) {
            add_rule({family, plan_.rule_priority + 2, plan_.table, std::nullopt, false, lan});
        }
    }
    return items;
}

std::vector<std::string> RouteSetup::describe() const {
    std::vector<std::string> lines;
    for (const Item& item : build_items()) lines.push_back(item.description);
    return lines;
}

void RouteSetup::apply() {
    if (applied()) return;
    NetlinkSocket netlink;
    for (Item& item : build_items()) {
        NetlinkMessage message(*reinterpret_cast<const nlmsghdr*>(item.request.data()));
        message.set_flags(NLM_F_CREATE | NLM_F_EXCL);
        if (const int error = netlink.request(message); error != 0) {
            remove();
            std::string what = "routing: add " + item.description;
            if (error == EEXIST) what += " (left over from an earlier run?)";
            throw std::system_error(error, std::generic_category(), what);
        }
        spdlog::debug("routing: added {}", item.description);
        added_.push_back(std::move(item));
    }
}

void RouteSetup::remove() noexcept {
    if (added_.empty()) return;
    try {
        NetlinkSocket netlink;
        for (auto it = added_.rbegin(); it != added_.rend(); ++it) {
            NetlinkMessage message(*reinterpret_cast<const nlmsghdr*>(it->request.data()));
            const auto type = message.header()->nlmsg_type;
            message.set_type(type == RTM_NEWRULE ? RTM_DELRULE : RTM_DELROUTE);
            message.set_flags(0);
            const int error = netlink.request(message);
            if (error != 0 && !already_gone(error)) {
                spdlog::warn("routing: remove {}: {}", it->description, std::strerror(error));
            }
        }
    } catch (const std::exception& e) {
        spdlog::warn("routing: remove: {}", e.what());
    }
    added_.clear();
}

void RouteSetup::release_without_cleanup() noexcept {
    added_.clear();
}

}  // namespace shunt::netstack

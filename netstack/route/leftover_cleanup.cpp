// RouteSetup::cleanup_leftovers: after kill -9 the kernel removes the non-persistent TUN
// device and every route through it, but policy rules do not depend on a device and stay.
// Everything shunt adds carries kShuntRouteProtocol, so a dump finds it again exactly,
// whatever plan the crashed run had (another table, other priorities).
#include <net/if.h>  // before the linux/ headers, which defer to it

#include <linux/fib_rules.h>
#include <linux/if_link.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <exception>

#include "netstack/route/netlink_socket.hpp"
#include "netstack/route/route_setup.hpp"

namespace shunt::netstack {

namespace {

bool gone_already(int error) {
    return error == ENOENT || error == ESRCH || error == ENODEV;
}

// Deletes every dumped object `is_ours` accepts by re-sending it as `delete_type`; the
// dump is collected first because deleting during a dump makes the kernel restart it.
template <typename Header>
int delete_matching(NetlinkSocket& netlink, std::uint16_t dump_type, std::uint16_t delete_type,
                    int family, const char* kind, bool (*is_ours)(const nlmsghdr&)) {
    Header header{};
    // The family is the first byte of both rtmsg and fib_rule_hdr.
    reinterpret_cast<std::uint8_t*>(&header)[0] = static_cast<std::uint8_t>(family);
    NetlinkMessage request(dump_type, 0, header);
    std::vector<NetlinkMessage> ours;
    netlink.dump(request, std::string("routing: list ") + kind, [&](const nlmsghdr& message) {
        if (is_ours(message)) ours.emplace_back(message);
    });
    int deleted = 0;
    for (NetlinkMessage& message : ours) {
        message.set_type(delete_type);
        message.set_flags(0);
        const int error = netlink.request(message);
        if (error == 0) {
            ++deleted;
        } else if (!gone_already(error)) {
            spdlog::warn("routing: delete leftover {}: {}", kind, std::strerror(error));
        }
    }
    return deleted;
}

bool is_shunt_rule(const nlmsghdr& message) {
    NetlinkAttributes attributes(message, sizeof(fib_rule_hdr));
    return attributes.has(FRA_PROTOCOL) && attributes.u8(FRA_PROTOCOL) == kShuntRouteProtocol;
}

bool is_shunt_route(const nlmsghdr& message) {
    const auto* header = static_cast<const rtmsg*>(NLMSG_DATA(&message));
    return header->rtm_protocol == kShuntRouteProtocol;
}

// The link kind from IFLA_LINKINFO / IFLA_INFO_KIND ("tun", "dummy", ...).
std::string link_kind(const NetlinkAttributes& attributes) {
    auto info = attributes.get(IFLA_LINKINFO);
    auto remaining = static_cast<int>(info.size());
    for (const auto* a = reinterpret_cast<const rtattr*>(info.data()); RTA_OK(a, remaining);
         a = RTA_NEXT(a, remaining)) {
        if ((a->rta_type & NLA_TYPE_MASK) != IFLA_INFO_KIND) continue;
        std::string kind(static_cast<const char*>(RTA_DATA(a)), RTA_PAYLOAD(a));
        if (auto nul = kind.find('\0'); nul != std::string::npos) kind.resize(nul);
        return kind;
    }
    return {};
}

// Deletes a TUN link named `name` (a persistent one, or one another process still holds).
// A link of another kind with that name is the user's and is left alone.
bool delete_tun_link(NetlinkSocket& netlink, const std::string& name) {
    ifinfomsg header{};
    header.ifi_family = AF_UNSPEC;
    NetlinkMessage request(RTM_GETLINK, 0, header);
    int ifindex = 0;
    netlink.dump(request, "routing: list links", [&](const nlmsghdr& message) {
        NetlinkAttributes attributes(message, sizeof(ifinfomsg));
        if (attributes.string(IFLA_IFNAME) != name) return;
        if (link_kind(attributes) != "tun") {
            spdlog::warn("routing: interface {} exists and is not a TUN device; left alone", name);
            return;
        }
        ifindex = static_cast<const ifinfomsg*>(NLMSG_DATA(&message))->ifi_index;
    });
    if (ifindex == 0) return false;
    ifinfomsg target{};
    target.ifi_family = AF_UNSPEC;
    target.ifi_index = ifindex;
    NetlinkMessage remove(RTM_DELLINK, 0, target);
    const int error = netlink.request(remove);
    if (error != 0 && !gone_already(error)) {
        spdlog::warn("routing: delete leftover device {}: {}", name, std::strerror(error));
    }
    return error == 0;
}

// The interfaces with carrier (IFF_LOWER_UP, which linux/if.h defines and net/if.h does
// not; SIOCGIFFLAGS's 16 bits cannot carry it): a TUN device has carrier while a process
// holds it.
std::vector<int> links_with_carrier(NetlinkSocket& netlink) {
    constexpr unsigned kLowerUp = 1u << 16;
    ifinfomsg header{};
    header.ifi_family = AF_UNSPEC;
    NetlinkMessage request(RTM_GETLINK, 0, header);
    std::vector<int> up;
    netlink.dump(request, "routing: list links", [&](const nlmsghdr& message) {
        const auto* link = static_cast<const ifinfomsg*>(NLMSG_DATA(&message));
        if (link->ifi_flags & kLowerUp) up.push_back(link->ifi_index);
    });
    return up;
}

}  // namespace

std::optional<std::string> RouteSetup::running_device() {
    std::optional<std::string> running;
    try {
        NetlinkSocket netlink;
        const auto up = links_with_carrier(netlink);
        for (int family : {AF_INET, AF_INET6}) {
            rtmsg header{};
            header.rtm_family = static_cast<std::uint8_t>(family);
            NetlinkMessage request(RTM_GETROUTE, 0, header);
            netlink.dump(request, "routing: list routes", [&](const nlmsghdr& message) {
                if (running || !is_shunt_route(message)) return;
                NetlinkAttributes attributes(message, sizeof(rtmsg));
                const auto oif = static_cast<int>(attributes.u32(RTA_OIF));
                char name[IF_NAMESIZE] = {};
                if (attributes.has(RTA_OIF) && std::find(up.begin(), up.end(), oif) != up.end() &&
                    ::if_indextoname(static_cast<unsigned>(oif), name))
                    running = name;
            });
        }
    } catch (const std::exception& e) {
        spdlog::warn("routing: listing routes: {}", e.what());
    }
    return running;
}

LeftoverCleanup RouteSetup::cleanup_leftovers(const RoutePlan& plan) {
    LeftoverCleanup result;
    try {
        NetlinkSocket netlink;
        if (!plan.tun_name.empty()) result.device = delete_tun_link(netlink, plan.tun_name);
        for (int family : {AF_INET, AF_INET6}) {
            result.rules += delete_matching<fib_rule_hdr>(netlink, RTM_GETRULE, RTM_DELRULE, family,
                                                          "rule", is_shunt_rule);
            result.routes += delete_matching<rtmsg>(netlink, RTM_GETROUTE, RTM_DELROUTE, family,
                                                    "route", is_shunt_route);
        }
    } catch (const std::exception& e) {
        spdlog::warn("routing: cleaning up leftovers: {}", e.what());
    }
    return result;
}

}  // namespace shunt::netstack

// Routes and policy rules that send traffic into the TUN device, added through rtnetlink
// and removed again on exit or, after a crash, at the next start. See docs/routing.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.hpp"

namespace shunt::netstack {

// rtm_protocol of every route and FRA_PROTOCOL of every rule shunt adds: how leftovers are
// found after a crash. Unused in iproute2's rt_protos (which reserves up to 99 and 186-192
// and names 42 babel, 99 openr); `ip route show proto 162` lists shunt's routes.
inline constexpr std::uint8_t kShuntRouteProtocol = 162;

struct RoutePlan {
    std::string tun_name;
    int tun_ifindex = 0;
    // false: only `captured` goes into the TUN (main table). true: everything, see below.
    bool auto_route = false;
    // SO_MARK of shunt's own outbound sockets; they always use the main table.
    std::uint32_t routing_mark = 0x162;
    std::uint32_t table = 2022;
    // Rules use rule_priority .. rule_priority + 2.
    std::uint32_t rule_priority = 9000;
    // The fake-IP ranges, IPv4 and IPv6.
    std::vector<Prefix> captured;
    // Traffic forwarded from these interfaces (router use) enters the TUN too.
    std::vector<std::string> lan_interfaces;
    // false leaves IPv6 alone except for IPv6 prefixes in `captured` (hosts with IPv6
    // disabled reject IPv6 routes).
    bool ipv6 = true;
};

struct LeftoverCleanup {
    int rules = 0;
    int routes = 0;
    bool device = false;
};

class RouteSetup {
  public:
    explicit RouteSetup(RoutePlan plan);
    RouteSetup(const RouteSetup&) = delete;
    RouteSetup& operator=(const RouteSetup&) = delete;
    // Calls remove().
    ~RouteSetup();

    // Adds the plan's routes, then its rules (routes first: a rule pointing at an empty
    // table would blackhole nothing but would send traffic to the next rule meanwhile).
    // On a failure, removes what it added and throws std::system_error naming the item.
    // A second call while applied does nothing.
    void apply();
    // Removes exactly what apply() added, in reverse order. Idempotent; never throws
    // (failures other than "already gone" are logged).
    void remove() noexcept;
    bool applied() const { return !added_.empty(); }

    // What apply() would add, one line each in `ip` syntax (for logs and tests).
    std::vector<std::string> describe() const;

    // Deletes every route and rule carrying kShuntRouteProtocol (all tables, IPv4 and
    // IPv6) and a leftover TUN link named plan.tun_name, in the calling thread's network
    // namespace. Run before creating the device. Never throws; failures are logged.
    static LeftoverCleanup cleanup_leftovers(const RoutePlan& plan);

    // The device shunt's routes lead to when it is held open (carrier up): a shunt is
    // running in this network namespace, whatever its config. std::nullopt otherwise.
    static std::optional<std::string> running_device();

    // Test hook: forget what was added without removing it, as a crash would.
    void release_without_cleanup() noexcept;

  private:
    // One route or rule: the RTM_NEWROUTE/RTM_NEWRULE request that adds it, re-sent as
    // RTM_DEL* to remove exactly it.
    struct Item {
        std::string description;
        std::vector<std::uint8_t> request;
    };
    std::vector<Item> build_items() const;

    RoutePlan plan_;
    std::vector<Item> added_;
};

}  // namespace shunt::netstack

// RouteSetup against the kernel, each test in a namespace of its own: what apply() adds
// for each plan (checked with `ip -j`), what the rules mean for real lookups (`ip route
// get`, which sends nothing), rollback on a failure, and that remove() leaves nothing.
#include <gtest/gtest.h>

#include <optional>
#include <system_error>

#include "netstack/route/route_setup.hpp"
#include "netstack/tun/tun_device.hpp"
#include "tests/netstack/route/ip_json.hpp"
#include "tests/support/netns_guard.hpp"

namespace shunt::netstack {
namespace {

using test::ip_json;
using test::json_string;
using test::NetnsGuard;
using test::rules_text;
using test::run_command;
using test::shunt_routes;
using test::shunt_rules;

struct Fixture {
    NetnsGuard netns;
    TunDevice tun;
    RoutePlan plan;

    explicit Fixture(bool auto_route)
        : tun(TunOptions{"shunt-r0", 9000, InterfaceAddress::parse("198.18.0.1/15"),
                         InterfaceAddress::parse("fd00:5::1/64")}) {
        plan.tun_name = tun.name();
        plan.tun_ifindex = tun.ifindex();
        plan.auto_route = auto_route;
        plan.captured = {*Prefix::parse("198.18.0.0/15"), *Prefix::parse("fd00:5::/64")};
    }

    // A veth pair standing for the LAN (lan0) and the uplink (wan0, default route).
    void add_lan_and_wan() {
        const std::string& ns = netns.name();
        ASSERT_EQ(run_command({"ip", "-n", ns, "link", "add", "lan0", "type", "veth", "peer",
                               "name", "wan0"})
                      .exit_code,
                  0);
        for (const char* command :
             {"link set lan0 up", "link set wan0 up", "addr add 10.77.0.1/24 dev lan0",
              "addr add 10.66.0.1/24 dev wan0", "route add default via 10.66.0.2 dev wan0"}) {
            std::vector<std::string> argv{"ip", "-n", ns};
            std::string word;
            for (const char* c = command;; ++c) {
                if (*c == ' ' || *c == '\0') {
                    argv.push_back(word);
                    word.clear();
                    if (*c == '\0') break;
                } else {
                    word += *c;
                }
            }
            ASSERT_EQ(run_command(argv).exit_code, 0) << command;
        }
    }

    // The device `ip route get` picks for `destination` (extra: "mark", "0x162", ...).
    std::string route_device(const std::string& destination, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"route", "get", destination};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto routes = ip_json(netns.name(), args);
        return routes.empty() ? "unreachable" : json_string(routes[0], "dev");
    }

    std::size_t table_size(const char* family, std::uint32_t table) {
        return ip_json(netns.name(), {family, "route", "show", "table", std::to_string(table)})
            .size();
    }
};

std::optional<boost::json::value> rule_at(const std::vector<boost::json::value>& rules,
                                          int priority, const std::string& iif = "") {
    for (const auto& rule : rules) {
        if (rule.as_object().at("priority").to_number<int>() == priority &&
            json_string(rule, "iif") == iif) {
            return rule;
        }
    }
    return std::nullopt;
}

TEST(RouteSetupTest, WithoutAutoRouteOnlyCapturedRangesGoToTheTun) {
    Fixture f(false);
    RouteSetup routes(f.plan);
    routes.apply();
    EXPECT_TRUE(routes.applied());

    const auto v4 = ip_json(f.netns.name(), {"route", "show", "proto", "162"});
    ASSERT_EQ(v4.size(), 1u) << boost::json::serialize(v4);
    EXPECT_EQ(json_string(v4[0], "dst"), "198.18.0.0/15");
    EXPECT_EQ(json_string(v4[0], "dev"), "shunt-r0");
    const auto v6 = ip_json(f.netns.name(), {"-6", "route", "show", "proto", "162"});
    ASSERT_EQ(v6.size(), 1u) << boost::json::serialize(v6);
    EXPECT_EQ(json_string(v6[0], "dst"), "fd00:5::/64");
    EXPECT_TRUE(shunt_rules(f.netns.name(), "-4").empty()) << rules_text(f.netns.name());
    EXPECT_TRUE(shunt_rules(f.netns.name(), "-6").empty());
    EXPECT_EQ(f.table_size("-4", 2022), 0u);
    EXPECT_EQ(f.route_device("198.18.44.1"), "shunt-r0");
    EXPECT_EQ(f.route_device("fd00:5::77"), "shunt-r0");
}

TEST(RouteSetupTest, AutoRouteAddsRulesAndTable) {
    Fixture f(true);
    f.add_lan_and_wan();
    RouteSetup routes(f.plan);
    routes.apply();

    for (const char* family : {"-4", "-6"}) {
        const auto rules = shunt_rules(f.netns.name(), family);
        ASSERT_EQ(rules.size(), 3u) << rules_text(f.netns.name());
        const auto marked = rule_at(rules, 9000);
        ASSERT_TRUE(marked);
        EXPECT_EQ(json_string(*marked, "fwmark"), "0x162");
        EXPECT_EQ(json_string(*marked, "table"), "main");
        const auto suppress = rule_at(rules, 9001);
        ASSERT_TRUE(suppress);
        EXPECT_EQ(json_string(*suppress, "suppress_prefixlen"), "0");
        EXPECT_EQ(json_string(*suppress, "table"), "main");
        const auto catch_all = rule_at(rules, 9002);
        ASSERT_TRUE(catch_all);
        EXPECT_EQ(json_string(*catch_all, "table"), "2022");
        // Default route and the captured range, in shunt's table only.
        const auto table = ip_json(f.netns.name(), {family, "route", "show", "table", "2022"});
        ASSERT_EQ(table.size(), 2u) << boost::json::serialize(table);
        EXPECT_EQ(json_string(table[0], "dev"), "shunt-r0");
    }
    EXPECT_TRUE(ip_json(f.netns.name(), {"route", "show", "proto", "162"}).empty())
        << "captured ranges must not be in main with auto_route";

    // What the rules mean: everything else enters the TUN; shunt's marked sockets and
    // on-link/LAN destinations keep the main table; marked sockets never reach a fake IP
    // through the TUN (no loop).
    EXPECT_EQ(f.route_device("1.1.1.1"), "shunt-r0");
    EXPECT_EQ(f.route_device("198.18.3.3"), "shunt-r0");
    EXPECT_EQ(f.route_device("1.1.1.1", {"mark", "0x162"}), "wan0");
    EXPECT_EQ(f.route_device("198.18.3.3", {"mark", "0x162"}), "wan0");
    EXPECT_EQ(f.route_device("10.77.0.9"), "lan0");
    EXPECT_EQ(f.route_device("127.0.0.1"), "lo");
    EXPECT_EQ(f.route_device("2001:db8::1"), "shunt-r0");
}

TEST(RouteSetupTest, LanInterfacesEnterTheTunWithoutAutoRoute) {
    Fixture f(false);
    f.add_lan_and_wan();
    f.plan.lan_interfaces = {"lan0"};
    ASSERT_EQ(run_command(
                  {"ip", "netns", "exec", f.netns.name(), "sysctl", "-qw", "net.ipv4.ip_forward=1"})
                  .exit_code,
              0);
    RouteSetup routes(f.plan);
    routes.apply();

    for (const char* family : {"-4", "-6"}) {
        const auto rules = shunt_rules(f.netns.name(), family);
        ASSERT_EQ(rules.size(), 3u) << rules_text(f.netns.name());
        EXPECT_TRUE(rule_at(rules, 9000));
        EXPECT_TRUE(rule_at(rules, 9001));
        const auto lan = rule_at(rules, 9002, "lan0");
        ASSERT_TRUE(lan) << rules_text(f.netns.name());
        EXPECT_EQ(json_string(*lan, "table"), "2022");
        // Only the default route: the captured ranges stay in main.
        EXPECT_EQ(f.table_size(family, 2022), 1u);
    }
    // Local traffic is untouched; traffic arriving from the LAN goes to the TUN.
    EXPECT_EQ(f.route_device("1.1.1.1"), "wan0");
    EXPECT_EQ(f.route_device("198.18.3.3"), "shunt-r0");
    EXPECT_EQ(f.route_device("1.1.1.1", {"from", "10.77.0.50", "iif", "lan0"}), "shunt-r0");
    EXPECT_EQ(f.route_device("10.77.0.9", {"from", "10.77.0.50", "iif", "lan0"}), "lan0");
}

TEST(RouteSetupTest, RemoveLeavesNothingAndIsIdempotent) {
    Fixture f(true);
    f.plan.lan_interfaces = {"lan-missing"};  // rules may name absent interfaces
    const std::string rules_before = rules_text(f.netns.name());
    {
        RouteSetup routes(f.plan);
        routes.apply();
        routes.apply();  // no-op while applied
        EXPECT_EQ(shunt_rules(f.netns.name(), "-4").size(), 4u) << rules_text(f.netns.name());
        EXPECT_EQ(shunt_routes(f.netns.name(), "-4").size(), 2u);
        routes.remove();
        EXPECT_FALSE(routes.applied());
        EXPECT_EQ(rules_text(f.netns.name()), rules_before);
        EXPECT_TRUE(shunt_routes(f.netns.name(), "-4").empty());
        EXPECT_TRUE(shunt_routes(f.netns.name(), "-6").empty());
        routes.remove();
        routes.apply();  // applies again after a remove
        EXPECT_EQ(shunt_rules(f.netns.name(), "-6").size(), 4u);
    }  // the destructor removes
    EXPECT_EQ(rules_text(f.netns.name()), rules_before);
    EXPECT_TRUE(shunt_routes(f.netns.name(), "-4").empty());
    EXPECT_TRUE(shunt_routes(f.netns.name(), "-6").empty());
}

TEST(RouteSetupTest, PartialFailureRollsBackAndNamesTheItem) {
    Fixture f(true);
    // Someone else's IPv6 default route in table 2022 makes shunt's collide.
    ASSERT_EQ(run_command({"ip", "-n", f.netns.name(), "-6", "route", "add", "default", "dev", "lo",
                           "table", "2022"})
                  .exit_code,
              0);
    RouteSetup routes(f.plan);
    try {
        routes.apply();
        FAIL() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EEXIST);
        EXPECT_NE(std::string(e.what()).find("routing: add route -6 default dev shunt-r0"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(routes.applied());
    EXPECT_TRUE(shunt_routes(f.netns.name(), "-4").empty());
    EXPECT_TRUE(shunt_routes(f.netns.name(), "-6").empty());
    EXPECT_TRUE(shunt_rules(f.netns.name(), "-4").empty());
    EXPECT_EQ(f.table_size("-6", 2022), 1u) << "the other route must stay";
}

TEST(RouteSetupTest, DescribeListsTheItemsInOrder) {
    RoutePlan plan;
    plan.tun_name = "shunt0";
    plan.auto_route = true;
    plan.ipv6 = false;
    plan.captured = {*Prefix::parse("198.18.0.0/15")};
    plan.lan_interfaces = {"br-lan"};
    const std::vector<std::string> expected{
        "route -4 198.18.0.0/15 dev shunt0 table 2022 proto 162",
        "route -4 default dev shunt0 table 2022 proto 162",
        "rule -4 prio 9000 fwmark 0x162 lookup main",
        "rule -4 prio 9001 lookup main suppress_prefixlength 0",
        "rule -4 prio 9002 lookup 2022",
        "rule -4 prio 9002 iif br-lan lookup 2022",
    };
    EXPECT_EQ(RouteSetup(plan).describe(), expected);
}

}  // namespace
}  // namespace shunt::netstack

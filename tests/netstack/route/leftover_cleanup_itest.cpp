// RouteSetup::cleanup_leftovers after simulated crashes: a child process that applies and
// _exit()s (the TUN goes with it, its rules stay), an object released without cleanup
// (device, routes and rules stay), and leftover persistent devices.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "netstack/route/route_setup.hpp"
#include "netstack/tun/tun_device.hpp"
#include "tests/netstack/route/ip_json.hpp"
#include "tests/support/netns_guard.hpp"

namespace shunt::netstack {
namespace {

using test::ip_json;
using test::NetnsGuard;
using test::rules_text;
using test::run_command;
using test::shunt_routes;
using test::shunt_rules;

TunOptions tun_options(const std::string& name) {
    return TunOptions{name, 9000, InterfaceAddress::parse("198.18.0.1/15"),
                      InterfaceAddress::parse("fd00:5::1/64")};
}

RoutePlan plan_for(const TunDevice& tun) {
    RoutePlan plan;
    plan.tun_name = tun.name();
    plan.tun_ifindex = tun.ifindex();
    plan.auto_route = true;
    plan.captured = {*Prefix::parse("198.18.0.0/15"), *Prefix::parse("fd00:5::/64")};
    plan.lan_interfaces = {"lan-a"};
    return plan;
}

bool link_exists(const std::string& netns, const std::string& name) {
    return !ip_json(netns, {"link", "show", "dev", name}).empty();
}

void expect_nothing_left(const std::string& netns) {
    EXPECT_TRUE(shunt_rules(netns, "-4").empty()) << rules_text(netns);
    EXPECT_TRUE(shunt_rules(netns, "-6").empty()) << rules_text(netns);
    EXPECT_TRUE(shunt_routes(netns, "-4").empty());
    EXPECT_TRUE(shunt_routes(netns, "-6").empty());
}

TEST(LeftoverCleanupTest, AfterAProcessDiesItsRulesAreRemoved) {
    NetnsGuard netns;
    // fork() copies the calling thread's namespaces: the child works in `netns` too.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        try {
            TunDevice tun(tun_options("shunt-c0"));
            RouteSetup routes(plan_for(tun));
            routes.apply();
            // Like kill -9: no destructor runs; the kernel closes the TUN fd.
            ::_exit(0);
        } catch (...) {
            ::_exit(1);
        }
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed to apply";
    EXPECT_FALSE(link_exists(netns.name(), "shunt-c0"));
    // 2 families x (fwmark, suppress, catch-all, iif lan-a).
    EXPECT_EQ(shunt_rules(netns.name(), "-4").size(), 4u) << rules_text(netns.name());

    RoutePlan plan;
    plan.tun_name = "shunt-c0";
    const LeftoverCleanup removed = RouteSetup::cleanup_leftovers(plan);
    EXPECT_EQ(removed.rules, 8);
    EXPECT_EQ(removed.routes, 0);  // they went with the device
    EXPECT_FALSE(removed.device);
    expect_nothing_left(netns.name());

    const LeftoverCleanup again = RouteSetup::cleanup_leftovers(plan);
    EXPECT_EQ(again.rules + again.routes, 0);
}

TEST(LeftoverCleanupTest, ReleasedSetupLeavesRoutesThatAreFoundByTheMarker) {
    NetnsGuard netns;
    TunDevice tun(tun_options("shunt-c1"));
    // Someone else's route and rule in the same table and priorities stay.
    ASSERT_EQ(
        run_command({"ip", "-n", netns.name(), "rule", "add", "prio", "9002", "lookup", "2022"})
            .exit_code,
        0);
    ASSERT_EQ(run_command({"ip", "-n", netns.name(), "route", "add", "10.5.0.0/16", "dev",
                           "shunt-c1", "table", "2022"})
                  .exit_code,
              0);
    {
        RoutePlan plan = plan_for(tun);
        plan.table = 2023;
        plan.rule_priority = 8000;
        RouteSetup routes(plan);
        routes.apply();
        routes.release_without_cleanup();
    }
    EXPECT_EQ(shunt_rules(netns.name(), "-6").size(), 4u);
    EXPECT_EQ(shunt_routes(netns.name(), "-4").size(), 2u);

    // The next run's plan may differ (table, priorities): the marker finds them anyway.
    RoutePlan next_run;
    next_run.tun_name = "shunt-other";
    const LeftoverCleanup removed = RouteSetup::cleanup_leftovers(next_run);
    EXPECT_EQ(removed.rules, 8);
    EXPECT_EQ(removed.routes, 4);
    EXPECT_FALSE(removed.device);
    expect_nothing_left(netns.name());
    EXPECT_TRUE(link_exists(netns.name(), "shunt-c1"));
    EXPECT_EQ(ip_json(netns.name(), {"route", "show", "table", "2022"}).size(), 1u);
    EXPECT_NE(rules_text(netns.name()).find("9002:"), std::string::npos);
}

TEST(LeftoverCleanupTest, LeftoverTunDeviceIsDeletedOtherKindsAreNot) {
    NetnsGuard netns;
    ASSERT_EQ(
        run_command({"ip", "-n", netns.name(), "tuntap", "add", "dev", "shunt-p0", "mode", "tun"})
            .exit_code,
        0);
    ASSERT_EQ(run_command({"ip", "-n", netns.name(), "link", "add", "shunt-v0", "type", "veth",
                           "peer", "name", "shunt-v1"})
                  .exit_code,
              0);
    RoutePlan plan;
    plan.tun_name = "shunt-p0";
    EXPECT_TRUE(RouteSetup::cleanup_leftovers(plan).device);
    EXPECT_FALSE(link_exists(netns.name(), "shunt-p0"));

    plan.tun_name = "shunt-v0";
    EXPECT_FALSE(RouteSetup::cleanup_leftovers(plan).device);
    EXPECT_TRUE(link_exists(netns.name(), "shunt-v0"));

    // A device of the plan's name can be created afterwards.
    TunDevice tun(tun_options("shunt-p0"));
    EXPECT_TRUE(link_exists(netns.name(), "shunt-p0"));
}

}  // namespace
}  // namespace shunt::netstack

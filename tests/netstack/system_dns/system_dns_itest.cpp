// [tun] system_dns with real resolvers: a rewritten /etc/resolv.conf (the client
// namespace's own: `ip netns exec` mounts /etc/netns/<ns>/resolv.conf over it) read by
// glibc through getent, and Debian's systemd-resolved on a bus of the test's own, asked
// through its stub listener by dig. Each setting must be gone after a clean stop, after
// kill -9 (at the next start or with `shunt cleanup`), and come back after resolved
// restarts.
#include <net/if.h>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "netstack/system_dns/system_dns.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/netns_thread.hpp"
#include "tests/support/resolved_sandbox.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOriginal =
    "# the machine's own resolv.conf\nnameserver 192.0.2.53\nsearch corp.test\noptions ndots:2\n";

bool in_fake_range(const std::string& address) {
    return address.rfind("198.18.", 0) == 0 || address.rfind("198.19.", 0) == 0;
}

// Polls `condition` for up to `timeout`.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return condition();
}

class ResolvConfE2e : public ::testing::Test {
  protected:
    // The client namespace's /etc/resolv.conf, as its programs (and shunt) see it.
    std::string resolv_conf() const {
        return read_file("/etc/netns/" + topology_.client_ns() + "/resolv.conf");
    }
    void write_original() const {
        std::ofstream("/etc/netns/" + topology_.client_ns() + "/resolv.conf") << kOriginal;
    }
    // glibc's resolver (files, then the nameserver in resolv.conf) in the client namespace.
    std::string system_lookup(const std::string& name) const {
        auto result = topology_.run_in_client({"getent", "ahostsv4", name}, 10s);
        return result.out.substr(0, result.out.find(' '));
    }
    // Routes and ip rules carrying shunt's protocol (162), one per line.
    std::string shunt_routes() const {
        std::string ours;
        for (const auto& command :
             {std::vector<std::string>{"ip", "-d", "route", "show", "table", "all"},
              std::vector<std::string>{"ip", "-d", "rule", "show"},
              std::vector<std::string>{"ip", "-d", "-6", "rule", "show"}}) {
            std::istringstream lines(topology_.run_in_client(command).out);
            std::string line;
            while (std::getline(lines, line))
                if (line.find("proto 162") != std::string::npos) ours += line + "\n";
        }
        return ours;
    }

    static ShuntInNamespace::Options resolv_conf_options() {
        ShuntInNamespace::Options options;
        options.extra_tun = "system_dns = \"resolv.conf\"\n";
        return options;
    }

    E2eTopology topology_;
    ShuntInNamespace::Options options_ = resolv_conf_options();
};

TEST_F(ResolvConfE2e, PointsGlibcAtShuntAndPutsTheOriginalBackOnStop) {
    ShuntInNamespace shunt(topology_, options_);
    write_original();
    shunt.start();

    const std::string ours = resolv_conf();
    EXPECT_NE(ours.find("# shunt-original: "), std::string::npos) << ours;
    EXPECT_NE(ours.find("nameserver 127.0.0.1\n"), std::string::npos) << ours;
    EXPECT_EQ(ours.find("192.0.2.53"), std::string::npos) << ours;
    // The search domains and options still apply.
    EXPECT_NE(ours.find("search corp.test\n"), std::string::npos) << ours;
    EXPECT_NE(ours.find("options ndots:2\n"), std::string::npos) << ours;
    EXPECT_TRUE(in_fake_range(system_lookup(E2eTopology::kWebSite))) << shunt.log();

    ASSERT_EQ(shunt.stop(), 0) << shunt.log();
    EXPECT_EQ(resolv_conf(), kOriginal);
}

TEST_F(ResolvConfE2e, AfterKill9TheNextStartOrCleanupPutsTheOriginalBack) {
    ShuntInNamespace shunt(topology_, options_);
    write_original();
    shunt.start();
    shunt.kill9();
    ASSERT_NE(resolv_conf().find("# shunt-original: "), std::string::npos);

    // `shunt cleanup` restores it and says so; a second run finds nothing.
    auto cleanup = topology_.run_in_client({SHUNT_BINARY, "cleanup"});
    EXPECT_EQ(cleanup.exit_code, 0) << cleanup.out;
    EXPECT_NE(cleanup.out.find("restored /etc/resolv.conf"), std::string::npos) << cleanup.out;
    EXPECT_EQ(resolv_conf(), kOriginal);
    cleanup = topology_.run_in_client({SHUNT_BINARY, "cleanup"});
    EXPECT_EQ(cleanup.exit_code, 0);
    EXPECT_NE(cleanup.out.find("nothing to clean up"), std::string::npos) << cleanup.out;

    // Killed again: the next start restores the original before saving it anew, so the
    // copy a clean stop puts back is the machine's, not shunt's own.
    shunt.start();
    shunt.kill9();
    shunt.start();
    EXPECT_NE(shunt.log().find("left by a run that did not stop"), std::string::npos)
        << shunt.log();
    ASSERT_EQ(shunt.stop(), 0);
    EXPECT_EQ(resolv_conf(), kOriginal);
}

TEST_F(ResolvConfE2e, CleanupRemovesTheRulesOfAKilledAutoRouteRun) {
    options_.extra_tun += "auto_route = true\n";
    ShuntInNamespace shunt(topology_, options_);
    write_original();
    shunt.start();
    shunt.kill9();
    ASSERT_NE(shunt_routes(), "");  // the ip rules outlive the process

    const auto cleanup = topology_.run_in_client({SHUNT_BINARY, "cleanup"});
    EXPECT_EQ(cleanup.exit_code, 0) << cleanup.out;
    EXPECT_NE(cleanup.out.find("ip rule(s)"), std::string::npos) << cleanup.out;
    EXPECT_EQ(shunt_routes(), "");
    EXPECT_EQ(resolv_conf(), kOriginal);
}

TEST_F(ResolvConfE2e, CleanupRefusesWhileShuntRuns) {
    ShuntInNamespace shunt(topology_, options_);
    shunt.start();
    const auto cleanup = topology_.run_in_client({SHUNT_BINARY, "cleanup"});
    EXPECT_EQ(cleanup.exit_code, 2);
    EXPECT_NE(resolv_conf().find("# shunt-original: "), std::string::npos);
    EXPECT_NE(shunt_routes(), "");
}

TEST_F(ResolvConfE2e, AutoWithoutResolvedNeedsDnsOnPort53) {
    ShuntInNamespace::Options options;
    options.extra_tun = "system_dns = \"auto\"\nauto_route = true\n";
    options.dns_listen = {"127.0.0.1:1053"};
    options.env = {"DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/bus"};
    ShuntInNamespace shunt(topology_, options);
    write_original();
    EXPECT_THROW(shunt.start(), std::runtime_error);
    EXPECT_NE(shunt.log().find("cannot name a port"), std::string::npos) << shunt.log();
    EXPECT_NE(shunt.log().find("127.0.0.1:53"), std::string::npos) << shunt.log();
    // Nothing of the failed start stays.
    EXPECT_EQ(resolv_conf(), kOriginal);
    EXPECT_EQ(shunt_routes(), "");
}

class ResolvedE2e : public ::testing::Test {
  protected:
    ResolvedE2e() { resolved_.start(); }

    ShuntInNamespace::Options options(const std::string& mode = "resolved") const {
        ShuntInNamespace::Options options;
        options.extra_tun = "system_dns = \"" + mode + "\"\n";
        options.dns_listen = {"127.0.0.1:1053"};
        options.env = {resolved_.bus_env()};
        return options;
    }
    std::string link_status() const {
        return resolved_.resolvectl({"status", ShuntInNamespace::kTunName}).out;
    }
    // resolved's stub listener, as every program behind nss-resolve or the stub
    // resolv.conf asks it.
    std::string stub_lookup(const std::string& name) const {
        auto result = topology_.run_in_client(
            {"dig", "+short", "+time=2", "+tries=2", "@127.0.0.53", name, "A"}, 10s);
        return result.out.substr(0, result.out.find('\n'));
    }

    E2eTopology topology_;
    ResolvedSandbox resolved_{topology_};
};

TEST_F(ResolvedE2e, EveryNameGoesToShuntThroughItsLink) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    const std::string status = link_status();
    EXPECT_NE(status.find("127.0.0.1:1053"), std::string::npos) << status;
    EXPECT_NE(status.find("~."), std::string::npos) << status;
    EXPECT_NE(status.find("+DefaultRoute"), std::string::npos) << status;
    EXPECT_NE(status.find("-LLMNR"), std::string::npos) << status;
    EXPECT_NE(status.find("-mDNS"), std::string::npos) << status;
    EXPECT_NE(status.find("-DNSOverTLS"), std::string::npos) << status;
    EXPECT_NE(status.find("DNSSEC=no"), std::string::npos) << status;
    EXPECT_TRUE(in_fake_range(stub_lookup(E2eTopology::kWebSite)))
        << shunt.log() << resolved_.log();
    EXPECT_NE(shunt.log().find("systemd-resolved (D-Bus)"), std::string::npos) << shunt.log();

    ASSERT_EQ(shunt.stop(), 0) << shunt.log();
    EXPECT_NE(shunt.log().find("reverted"), std::string::npos) << shunt.log();
    EXPECT_EQ(resolved_.resolvectl({"dns"}).out.find("127.0.0.1:1053"), std::string::npos);
}

TEST_F(ResolvedE2e, SettingsAreSetAgainWhenResolvedRestarts) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    resolved_.kill();
    resolved_.start();  // a fresh resolved knows nothing of the link's settings
    EXPECT_TRUE(eventually([&] {
        return link_status().find("127.0.0.1:1053") != std::string::npos;
    })) << link_status()
        << shunt.log();
    EXPECT_NE(shunt.log().find("systemd-resolved restarted"), std::string::npos) << shunt.log();
    EXPECT_TRUE(in_fake_range(stub_lookup("restarted.example"))) << shunt.log();
}

TEST_F(ResolvedE2e, Kill9LeavesNoSettingBehind) {
    ShuntInNamespace shunt(topology_, options("auto"));
    shunt.start();
    ASSERT_NE(resolved_.resolvectl({"dns"}).out.find("127.0.0.1:1053"), std::string::npos);
    shunt.kill9();
    // The settings lived on the device, which went with the process.
    EXPECT_TRUE(eventually([&] {
        return resolved_.resolvectl({"dns"}).out.find("127.0.0.1:1053") == std::string::npos;
    })) << resolved_.resolvectl({"dns"}).out;
}

TEST_F(ResolvedE2e, WarnsWhenAnotherLinkAlsoRoutesEveryName) {
    ASSERT_EQ(topology_
                  .run_in_client({"ip", "link", "add", "vpn-e2e", "type", "veth", "peer", "name",
                                  "vpn-e2e-peer"})
                  .exit_code,
              0);
    topology_.run_in_client({"ip", "link", "set", "vpn-e2e", "up"});
    ASSERT_EQ(resolved_.resolvectl({"dns", "vpn-e2e", "192.0.2.53"}).exit_code, 0);
    ASSERT_EQ(resolved_.resolvectl({"domain", "vpn-e2e", "~."}).exit_code, 0);
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    EXPECT_NE(shunt.log().find("also route every name"), std::string::npos) << shunt.log();
}

// The transport of builds without sd-bus (the static binary), on a veth link: the same
// settings, and RevertLink's equivalent leaves the link with none.
TEST_F(ResolvedE2e, ResolvectlTransportSetsAndRevertsTheSameSettings) {
    ASSERT_EQ(topology_
                  .run_in_client({"ip", "link", "add", "dns-e2e", "type", "veth", "peer", "name",
                                  "dns-e2e-peer"})
                  .exit_code,
              0);
    topology_.run_in_client({"ip", "link", "set", "dns-e2e", "up"});
    const std::string saved_path = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", (ResolvedSandbox::bin_directory() + ":" + saved_path).c_str(), 1);
    const std::string bus = resolved_.bus_env();
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.substr(bus.find('=') + 1).c_str(), 1);

    std::string error;
    run_in_netns(topology_.client_ns(), [&] {
        boost::asio::io_context io;
        netstack::SystemDnsPlan plan;
        plan.mode = SystemDnsMode::resolved;
        plan.link.ifindex = static_cast<int>(::if_nametoindex("dns-e2e"));
        plan.link.name = "dns-e2e";
        plan.server = Endpoint::parse("127.0.0.1:1053");
        plan.force_resolvectl = true;
        netstack::SystemDns dns(io.get_executor(), plan);
        try {
            dns.start();
        } catch (const std::exception& e) {
            error = e.what();
            return;
        }
        EXPECT_EQ(dns.active(), "systemd-resolved (resolvectl)");
        const std::string status = resolved_.resolvectl({"status", "dns-e2e"}).out;
        EXPECT_NE(status.find("127.0.0.1:1053"), std::string::npos) << status;
        EXPECT_NE(status.find("~."), std::string::npos) << status;
        EXPECT_NE(status.find("-LLMNR"), std::string::npos) << status;
        dns.stop();
    });
    ::setenv("PATH", saved_path.c_str(), 1);
    ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    ASSERT_EQ(error, "");
    const std::string after = resolved_.resolvectl({"status", "dns-e2e"}).out;
    EXPECT_EQ(after.find("127.0.0.1:1053"), std::string::npos) << after;
    EXPECT_EQ(after.find("~."), std::string::npos) << after;
}

}  // namespace
}  // namespace shunt::test

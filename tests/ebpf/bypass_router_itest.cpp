// The eBPF bypass on a router, end to end: a LAN device (its own namespace) behind the
// router (the topology's client namespace, where shunt runs with lan_interfaces and the
// tc program on lan0), the web server beyond. nginx's /whoami says which path a
// connection took: the LAN device's own address when the kernel forwarded it, the
// router's when shunt relayed it.
#include <signal.h>

#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "tests/support/e2e_topology.hpp"
#include "tests/support/lan_device.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kBypassRules =
    "rules = [\"IP-CIDR,203.0.113.11/32,relay\", \"IP-CIDR,203.0.113.0/24,DIRECT\", "
    "\"MATCH,relay\"]\n";
constexpr const char* kNoBypassRules = "rules = [\"MATCH,relay\"]\n";
// A group whose only member is DIRECT: the traffic still reaches the server, but through
// shunt, since a group's choice can change at runtime.
constexpr const char* kRelayGroup =
    "[[groups]]\nname = \"relay\"\ntype = \"select\"\nproxies = [\"DIRECT\"]\n";

class BypassRouter : public ::testing::Test {
  protected:
    BypassRouter() : nginx_(topology_), lan_(topology_) {
        // Replies to the LAN device come back through the router (no NAT in the test).
        const std::string lan_subnet =
            "10.201." + std::to_string(topology_.subnet_index()) + ".0/24";
        topology_.run_in_server({"ip", "route", "add", lan_subnet, "via", topology_.client_v4()});
        file_ = nginx_.add_file("bypass.bin", 3u << 20, 41);
    }

    ShuntInNamespace::Options options(const std::string& rules,
                                      const std::string& extra_ebpf = "") {
        ShuntInNamespace::Options o;
        o.top_level = rules;
        o.extra_tun = "lan_interfaces = [\"lan0\"]\ndns_hijack = [\"any:53\"]\n";
        o.dns_listen = {"127.0.0.1:53", lan_.router() + ":53"};
        // The privileges the systemd unit gives: CAP_BPF and CAP_NET_ADMIN, neither
        // CAP_SYS_ADMIN nor CAP_PERFMON (the verifier is stricter without them).
        o.command_prefix = {"capsh", "--drop=cap_sys_admin,cap_perfmon", "--", "-c",
                            "exec \"$0\" \"$@\""};
        o.extra_sections = std::string(kRelayGroup) + "\n[api]\nlisten = \"127.0.0.1:9090\"\n" +
                           "\n[ebpf]\nenable = true\n" + extra_ebpf;
        return o;
    }

    // Which address the server saw for a request from the LAN device to `address`.
    std::string whoami(const std::string& address) {
        auto r = run_command({"ip", "netns", "exec", lan_.name(), "curl", "-s", "-m", "10",
                              "http://" + address + "/whoami"});
        return r.out.substr(0, r.out.find('\n'));
    }

    HttpTransfer download(const std::string& address) {
        return http_get_sha256(lan_.name(), nginx_.url(address, file_.url_path), {}, 30s);
    }

    std::string tc_filters() {
        return topology_.run_in_client({"tc", "filter", "show", "dev", "lan0", "ingress"}).out;
    }

    static bool relayed(const std::string& log, const std::string& address) {
        return log.find("-> " + address + ":80") != std::string::npos;
    }

    E2eTopology topology_;
    NginxServer nginx_;
    LanDevice lan_;
    NginxServer::ServedFile file_;
};

TEST_F(BypassRouter, DirectDestinationsSkipShuntEverythingElseDoesNot) {
    ShuntInNamespace shunt(topology_, options(kBypassRules));
    shunt.start();
    ASSERT_NE(shunt.log().find("ebpf: bypass active on lan0"), std::string::npos) << shunt.log();
    EXPECT_NE(tc_filters().find("handle 0x162"), std::string::npos) << tc_filters();

    // 203.0.113.10 is DIRECT for every packet: the kernel forwards it, shunt never sees it.
    EXPECT_EQ(whoami(E2eTopology::kWebV4), lan_.address());
    auto bypassed = download(E2eTopology::kWebV4);
    ASSERT_EQ(bypassed.exit_code, 0) << shunt.log().substr(0, 4000);
    EXPECT_EQ(bypassed.sha256, file_.sha256);
    EXPECT_FALSE(relayed(shunt.log(), E2eTopology::kWebV4)) << shunt.log().substr(0, 6000);
    // The program counted it: the API shows the kernel's counters.
    const std::string status =
        topology_.run_in_client({"curl", "-s", "-m", "5", "http://127.0.0.1:9090/ebpf"}).out;
    EXPECT_NE(status.find("\"state\":\"active\""), std::string::npos) << status;
    EXPECT_NE(status.find("\"interfaces\":[\"lan0\"]"), std::string::npos) << status;
    const std::smatch counters = [&] {
        std::smatch m;
        std::regex_search(status, m, std::regex("\"bytes\":([0-9]+),\"flows\":([0-9]+)"));
        return m;
    }();
    ASSERT_EQ(counters.size(), 3u) << status;
    EXPECT_GE(std::stoull(counters[1]), 100u);  // requests and ACKs: the server sends the bulk
    EXPECT_GE(std::stoull(counters[2]), 2u);    // /whoami and the download

    // 203.0.113.11 goes to a group: through shunt, which dials from the router.
    EXPECT_EQ(whoami(E2eTopology::kSecondWebV4), topology_.client_v4());
    auto relayed_transfer = download(E2eTopology::kSecondWebV4);
    ASSERT_EQ(relayed_transfer.exit_code, 0) << shunt.log().substr(0, 4000);
    EXPECT_EQ(relayed_transfer.sha256, file_.sha256);
    EXPECT_TRUE(relayed(shunt.log(), E2eTopology::kSecondWebV4));

    // A fake IP always goes through shunt, and DNS to a bypassed address is still
    // hijacked (nothing listens on 203.0.113.10:53: only shunt can answer).
    auto dig =
        run_command({"ip", "netns", "exec", lan_.name(), "dig", "+short", "+time=2", "+tries=2",
                     std::string("@") + E2eTopology::kWebV4, E2eTopology::kWebSite});
    const std::string fake = dig.out.substr(0, dig.out.find('\n'));
    ASSERT_EQ(fake.rfind("198.18.", 0), 0u) << dig.out << shunt.log().substr(0, 4000);
    auto by_name = http_get_sha256(lan_.name(), std::string("http://www.e2e.test") + file_.url_path,
                                   {"--resolve", "www.e2e.test:80:" + fake}, 30s);
    ASSERT_EQ(by_name.exit_code, 0) << shunt.log().substr(0, 4000);
    EXPECT_EQ(by_name.sha256, file_.sha256);
    EXPECT_NE(shunt.log().find("(www.e2e.test)"), std::string::npos);

    EXPECT_EQ(shunt.stop(), 0);
    EXPECT_EQ(tc_filters().find("handle 0x162"), std::string::npos) << tc_filters();
    // Without shunt the LAN device's traffic is forwarded as before.
    EXPECT_EQ(whoami(E2eTopology::kWebV4), lan_.address());
}

// redir-host: the DNS answers with the real address, and a domain rule can send that
// address elsewhere than its IP rule would. The answered address is kept out of the bypass
// before the answer leaves, so the engine decides: through shunt. An address nobody asked
// the DNS for still bypasses.
TEST_F(BypassRouter, RedirHostAnsweredAddressesStayWithTheRules) {
    auto o = options(
        "rules = [\"DOMAIN,www.e2e.test,relay\", \"IP-CIDR,203.0.113.0/24,DIRECT\", "
        "\"MATCH,relay\"]\n");
    o.extra_dns = "mode = \"redir-host\"\n";
    ShuntInNamespace shunt(topology_, o);
    shunt.start();
    EXPECT_EQ(whoami(E2eTopology::kSecondWebV4), lan_.address());  // asked for by address
    auto dig = run_command({"ip", "netns", "exec", lan_.name(), "dig", "+short", "+time=2",
                            "+tries=2", "@" + lan_.router(), E2eTopology::kWebSite});
    ASSERT_EQ(dig.out.substr(0, dig.out.find('\n')), E2eTopology::kWebV4) << dig.out;
    // The same address the rules would bypass by its IP goes to the group by its name.
    EXPECT_EQ(whoami(E2eTopology::kWebV4), topology_.client_v4()) << shunt.log().substr(0, 6000);
    EXPECT_NE(shunt.log().find("(www.e2e.test)"), std::string::npos);
    EXPECT_EQ(shunt.stop(), 0);
}

// A reload that takes the prefix away: the transfer under way keeps its path (the flow
// table pins it) and arrives intact; the next connection goes through shunt.
TEST_F(BypassRouter, AReloadNeverMovesALiveFlow) {
    ShuntInNamespace shunt(topology_, options(kBypassRules));
    shunt.start();
    TempDir dir;
    ChildProcess::Options curl_options;
    curl_options.netns = lan_.name();
    // /slow/ sends 1 MB/s: three seconds for the file, the reload lands in the middle.
    ChildProcess slow({"curl", "-s", "-S", "-f", "-m", "30", "-o", dir.file("slow.bin"),
                       "http://" + std::string(E2eTopology::kWebV4) + "/slow/bypass.bin"},
                      curl_options);
    std::this_thread::sleep_for(1s);
    ASSERT_TRUE(shunt.reload(options(kNoBypassRules))) << shunt.log();
    EXPECT_EQ(slow.wait(30s), 0);
    EXPECT_EQ(sha256_file(dir.file("slow.bin")), file_.sha256);
    EXPECT_FALSE(relayed(shunt.log(), E2eTopology::kWebV4)) << shunt.log().substr(0, 6000);
    // The next connection to the same address is decided by the new rules.
    EXPECT_EQ(whoami(E2eTopology::kWebV4), topology_.client_v4());
    EXPECT_TRUE(relayed(shunt.log(), E2eTopology::kWebV4));
    EXPECT_EQ(shunt.stop(), 0);
}

// kill -9 leaves the tc filter (tc is not tied to a process); the next start removes
// it, and a clean exit then leaves nothing. The LAN interface going away and coming back
// gets the program again.
TEST_F(BypassRouter, KillNineRestartAndTheInterfaceComingBack) {
    ShuntInNamespace shunt(topology_, options(kBypassRules));
    shunt.start();
    shunt.kill9();
    EXPECT_NE(tc_filters().find("handle 0x162"), std::string::npos);
    // Bypassed traffic keeps flowing meanwhile: the program runs without shunt.
    EXPECT_EQ(whoami(E2eTopology::kWebV4), lan_.address());
    shunt.start();
    EXPECT_NE(shunt.log().find("removed the tc filter an earlier run left"), std::string::npos)
        << shunt.log();
    EXPECT_EQ(whoami(E2eTopology::kWebV4), lan_.address());

    lan_.unplug();
    std::this_thread::sleep_for(1500ms);
    lan_.plug();
    bool back = false;
    for (int i = 0; i < 50 && !back; ++i) {
        std::this_thread::sleep_for(100ms);
        back = tc_filters().find("handle 0x162") != std::string::npos;
    }
    EXPECT_TRUE(back) << shunt.log();
    EXPECT_EQ(whoami(E2eTopology::kWebV4), lan_.address());
    EXPECT_EQ(whoami(E2eTopology::kSecondWebV4), topology_.client_v4());

    EXPECT_EQ(shunt.stop(), 0);
    EXPECT_EQ(tc_filters().find("handle 0x162"), std::string::npos) << tc_filters();

    // kill -9 once more, then `shunt cleanup` finds the filter.
    shunt.start();
    shunt.kill9();
    auto cleanup = topology_.run_in_client({SHUNT_BINARY, "cleanup"});
    EXPECT_NE(cleanup.out.find("removed the eBPF bypass's tc filter from lan0"), std::string::npos)
        << cleanup.out;
    EXPECT_EQ(tc_filters().find("handle 0x162"), std::string::npos) << tc_filters();
}

// Without CAP_BPF (and CAP_SYS_ADMIN) the program cannot load: one log line, and the
// traffic goes through the TUN as it would without [ebpf]. With required = true, shunt
// refuses to start instead.
TEST_F(BypassRouter, WithoutCapBpfEverythingStillWorks) {
    auto o = options(kBypassRules);
    o.command_prefix = {"capsh", "--drop=cap_bpf,cap_sys_admin,cap_perfmon", "--", "-c",
                        "exec \"$0\" \"$@\""};
    ShuntInNamespace shunt(topology_, o);
    shunt.start();
    const std::string log = shunt.log();
    EXPECT_NE(log.find("ebpf: bypass disabled"), std::string::npos) << log;
    EXPECT_NE(log.find("Operation not permitted"), std::string::npos) << log;
    EXPECT_EQ(whoami(E2eTopology::kWebV4), topology_.client_v4()) << shunt.log();
    auto transfer = download(E2eTopology::kWebV4);
    ASSERT_EQ(transfer.exit_code, 0);
    EXPECT_EQ(transfer.sha256, file_.sha256);
    EXPECT_EQ(shunt.stop(), 0);

    auto strict = options(kBypassRules, "required = true\n");
    strict.command_prefix = o.command_prefix;
    ShuntInNamespace refused(topology_, strict);
    const auto status = refused.start_expecting_exit();
    ASSERT_TRUE(status);
    EXPECT_NE(*status, 0);
    EXPECT_NE(refused.log().find("startup failed: ebpf: load the program"), std::string::npos)
        << refused.log();
}

}  // namespace
}  // namespace shunt::test

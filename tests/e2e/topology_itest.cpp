// The end-to-end topology on its own, before any shunt is put in the middle: the client
// namespace resolves the test names at the server's unbound, reaches the web addresses
// over its default route (v4 and v6) and moves files both ways with matching sha256;
// and the fixture leaves nothing behind, also after a crashed run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

bool namespace_listed(const std::string& name) {
    auto listed = run_command({"ip", "netns", "list"});
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);)
        if (line.substr(0, line.find(' ')) == name) return true;
    return false;
}

// Gone, or a zombie waiting for a reaper that is not ours (a killed nginx's workers).
bool process_gone(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return true;
    std::string line;
    std::getline(stat, line);
    auto after_name = line.rfind(')');
    return after_name != std::string::npos && line.substr(after_name + 2, 1) == "Z";
}

bool eventually_gone(pid_t pid) {
    for (int i = 0; i < 200 && !process_gone(pid); ++i) std::this_thread::sleep_for(10ms);
    return process_gone(pid);
}

std::string dig_short(const E2eTopology& topology, const std::string& server,
                      const std::string& name, const std::string& type) {
    auto r = topology.run_in_client(
        {"dig", "@" + server, "-p", "53", "+short", "+time=2", "+tries=1", name, type}, 10s);
    EXPECT_EQ(r.exit_code, 0) << "dig " << name << " " << type;
    return trimmed(r.out);
}

class TopologyTest : public ::testing::Test {
  protected:
    E2eTopology topology;
};

TEST_F(TopologyTest, ClientResolvesTheSiteNamesAtTheServersUnbound) {
    for (const auto& server : {topology.server_v4(), topology.server_v6()}) {
        EXPECT_EQ(dig_short(topology, server, E2eTopology::kWebSite, "A"), E2eTopology::kWebV4);
        EXPECT_EQ(dig_short(topology, server, E2eTopology::kSecondSite, "A"),
                  E2eTopology::kSecondWebV4);
        EXPECT_EQ(dig_short(topology, server, E2eTopology::kV6OnlySite, "AAAA"),
                  E2eTopology::kWebV6);
        // AAAA-only: the A question has an empty answer.
        EXPECT_EQ(dig_short(topology, server, E2eTopology::kV6OnlySite, "A"), "");
    }
}

TEST_F(TopologyTest, WebAddressesAreReachedOverTheDefaultRoute) {
    auto v4 = topology.run_in_client({"ip", "route", "get", E2eTopology::kWebV4});
    EXPECT_NE(v4.out.find("via " + topology.server_v4()), std::string::npos) << v4.out;
    auto v6 = topology.run_in_client({"ip", "-6", "route", "get", E2eTopology::kWebV6});
    EXPECT_NE(v6.out.find("via " + topology.server_v6()), std::string::npos) << v6.out;
}

TEST_F(TopologyTest, DownloadsOverV4AndV6MatchTheServedSha256) {
    NginxServer nginx(topology);
    auto file = nginx.add_file("4m.bin", 4 << 20, 7);
    for (const auto& address : {std::string(E2eTopology::kWebV4), std::string(E2eTopology::kWebV6),
                                std::string(E2eTopology::kSecondWebV4), topology.server_v4()}) {
        auto got = http_get_sha256(topology.client_ns(), nginx.url(address, file.url_path));
        EXPECT_EQ(got.exit_code, 0) << address << "\n" << nginx.error_log();
        EXPECT_EQ(got.sha256, file.sha256) << address;
    }
    // The throttled path serves the same bytes.
    auto slow = nginx.add_file("small.bin", 64 << 10, 3);
    auto got =
        http_get_sha256(topology.client_ns(), nginx.url(E2eTopology::kWebV4, "/slow/small.bin"));
    EXPECT_EQ(got.sha256, slow.sha256);
    // A missing file is an HTTP error (curl --fail: 22), not a transport failure.
    EXPECT_EQ(
        http_get_sha256(topology.client_ns(), nginx.url(E2eTopology::kWebV4, "/none")).exit_code,
        22);
}

TEST_F(TopologyTest, UploadOf10MbRoundTrips) {
    NginxServer nginx(topology);
    TempDir local;
    const auto sent = write_pattern_file(local.file("up.bin"), 10 << 20, 11);
    ASSERT_EQ(http_put_file(topology.client_ns(), nginx.url(E2eTopology::kWebV6, "/upload/up.bin"),
                            local.file("up.bin")),
              0)
        << nginx.error_log();
    EXPECT_EQ(sha256_file(nginx.uploaded_path("up.bin")), sent);
    // And back down over the other family.
    auto back =
        http_get_sha256(topology.client_ns(), nginx.url(E2eTopology::kWebV4, "/upload/up.bin"));
    EXPECT_EQ(back.sha256, sent);
}

TEST(TopologyTeardownTest, NothingRemainsAfterTheFixture) {
    std::string client_ns, server_ns;
    std::vector<pid_t> pids;
    // A stray process a test forgot, owned from outside the fixture's scope: only the
    // topology's teardown can end it.
    std::unique_ptr<ChildProcess> stray;
    {
        E2eTopology topology;
        NginxServer nginx(topology);
        client_ns = topology.client_ns();
        server_ns = topology.server_ns();
        ASSERT_TRUE(namespace_listed(client_ns));
        ASSERT_TRUE(namespace_listed(server_ns));
        pids = E2eTopology::pids_in(server_ns);
        pids.push_back(nginx.pid());
        pids.push_back(topology.dns()->pid());
        stray = topology.spawn_in_client({"sleep", "60"});
        ASSERT_GE(pids.size(), 4u);  // nginx master + worker, unbound, ...
    }
    EXPECT_FALSE(namespace_listed(client_ns));
    EXPECT_FALSE(namespace_listed(server_ns));
    for (pid_t pid : pids) EXPECT_TRUE(eventually_gone(pid)) << pid;
    EXPECT_TRUE(stray->wait(2s).has_value()) << "a process in the client namespace survived";
    // The veth ends lived only in the namespaces.
    auto links = run_command({"ip", "-o", "link", "show"});
    EXPECT_EQ(links.out.find(E2eTopology::kClientVeth), std::string::npos);
    EXPECT_EQ(links.out.find(E2eTopology::kServerVeth), std::string::npos);
}

TEST(TopologyTeardownTest, TopologyOfACrashedRunIsRemovedFirst) {
    // A pid that is certainly gone: a child that exited and was reaped.
    pid_t dead = ::fork();
    if (dead == 0) ::_exit(0);
    ::waitpid(dead, nullptr, 0);
    const std::string stale = "shunt-e2e-server-" + std::to_string(dead);
    ASSERT_EQ(run_command({"ip", "netns", "add", stale}).exit_code, 0);
    ChildProcess survivor({"sleep", "60"},
                          {.netns = stale, .stdout_path = "", .stderr_path = "", .env = {}});
    ASSERT_TRUE(survivor.running());

    E2eTopology topology(E2eTopology::Options{.start_dns = false, .extra_dns_records = {}});
    EXPECT_FALSE(namespace_listed(stale));
    EXPECT_TRUE(survivor.wait(2s).has_value()) << "the stale namespace's process still runs";
    EXPECT_EQ(topology.dns(), nullptr);
}

}  // namespace
}  // namespace shunt::test

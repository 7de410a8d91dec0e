// examples/quickstart.toml as the README's first command runs it, in a namespace of the
// test's own (only the pool file moved to a temporary directory and the upstreams pointed
// at the topology's unbound, since the namespace has no Internet): DNS answers fake
// addresses, a connection to one goes through the TUN device to the rule engine (DIRECT
// for example.com, REJECT for example.net), the dashboard is served, and Ctrl-C leaves
// no device and no route behind.
#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/e2e_topology.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

std::string quickstart_for(const E2eTopology& topology, const TempDir& dir) {
    std::string config = read_file(std::string(SHUNT_SOURCE_DIR) + "/examples/quickstart.toml");
    config = std::regex_replace(config, std::regex("fake_ip_store = \"[^\"]*\""),
                                "fake_ip_store = \"" + dir.file("fakeip.db") + "\"");
    config = std::regex_replace(config, std::regex("upstreams = \\[[^\\]]*\\]"),
                                "upstreams = [\"udp://" + topology.server_v4() + "\"]");
    return config;
}

TEST(Quickstart, RunsTheWholePipelineAndLeavesNothingBehind) {
    E2eTopology topology;
    TempDir dir;
    dir.write("quickstart.toml", quickstart_for(topology, dir));
    ChildProcess::Options options;
    options.stdout_path = dir.file("shunt.log");
    options.stderr_path = dir.file("shunt.log");
    // -v: the classifier's decisions are debug lines.
    auto shunt = topology.spawn_in_client(
        {SHUNT_BINARY, "run", "-c", dir.file("quickstart.toml"), "-v"}, options);
    ASSERT_TRUE(wait_for_tcp_port("127.0.0.1", 9090, 15s, topology.client_ns()))
        << read_file(dir.file("shunt.log"));

    auto dig = [&](const std::string& name) {
        auto r = topology.run_in_client(
            {"dig", "+short", "+time=2", "+tries=1", "@127.0.0.1", "-p", "1053", name, "A"});
        return r.out.substr(0, r.out.find('\n'));
    };
    const std::string direct = dig("example.com");
    const std::string rejected = dig("ads.example.net");
    ASSERT_EQ(direct.rfind("198.18.", 0), 0u) << direct << read_file(dir.file("shunt.log"));
    ASSERT_EQ(rejected.rfind("198.18.", 0), 0u) << rejected;

    // REJECT: reset at once, and said so.
    auto reject =
        topology.run_in_client({"curl", "-sS", "-m", "5", "--resolve",
                                "ads.example.net:80:" + rejected, "http://ads.example.net/"});
    EXPECT_NE(reject.exit_code, 0);
    // DIRECT: decided by the rule; the dial then fails (example.com does not resolve in
    // the test's network), which the log also says.
    topology.run_in_client(
        {"curl", "-sS", "-m", "5", "--resolve", "example.com:80:" + direct, "http://example.com/"});
    const std::string log = read_file(dir.file("shunt.log"));
    EXPECT_NE(log.find("(example.com): DOMAIN-SUFFIX,example.com -> DIRECT"), std::string::npos)
        << log;
    EXPECT_NE(log.find("(ads.example.net): DOMAIN-SUFFIX,example.net -> REJECT"), std::string::npos)
        << log;

    // The dashboard and the API on loopback.
    auto ui = topology.run_in_client(
        {"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9090/ui/"});
    EXPECT_EQ(ui.out, "200");
    auto rules = topology.run_in_client({"curl", "-sS", "http://127.0.0.1:9090/rules"});
    EXPECT_NE(rules.out.find("example.net"), std::string::npos) << rules.out;

    // Only the fake range was routed, and Ctrl-C takes it away with the device.
    auto routes = topology.run_in_client({"ip", "route", "show", "dev", "shunt0"});
    EXPECT_NE(routes.out.find("198.18.0.0/15"), std::string::npos) << routes.out;
    EXPECT_EQ(topology.run_in_client({"ip", "route", "show", "default"}).out.find("shunt0"),
              std::string::npos);
    shunt->signal(SIGINT);
    ASSERT_EQ(shunt->wait(10s), 0) << read_file(dir.file("shunt.log"));
    EXPECT_NE(topology.run_in_client({"ip", "link", "show", "shunt0"}).exit_code, 0);
    EXPECT_EQ(topology.run_in_client({"ip", "route", "show", "198.18.0.0/15"}).out, "");
}

}  // namespace
}  // namespace shunt::test

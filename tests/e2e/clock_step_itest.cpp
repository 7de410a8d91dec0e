// The wall clock stepped by an hour under a running shunt (NTP after a router booted
// without an RTC, an administrator's `date -s`): timers, idle timeouts and keepalives run
// on the monotonic clock, so a step forward kills nothing and a step back delays nothing.
// The step is shunt's own: libfaketime (LD_PRELOAD) shifts its CLOCK_REALTIME from a file
// the test rewrites, leaving CLOCK_MONOTONIC alone, as a real step does — the machine's
// clock is never touched.
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/api_client.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kLibFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
constexpr const char* kSecret = "clock-secret";
constexpr int kUdpIdleSeconds = 3;

// UDP flows shunt holds now (GET /connections).
int udp_flows(const ApiClient& api) {
    const auto counts = api.flow_counts();
    return counts ? counts->udp : -1;
}

// Sends one datagram from the client to the server's UDP echo through the TUN: a UDP flow
// in shunt, idle from then on.
void open_udp_flow(const E2eTopology& topology) {
    auto sent = topology.shell_in_client(std::string("echo ping | socat -T1 - UDP:") +
                                         E2eTopology::kWebSite + ":7");
    ASSERT_EQ(sent.exit_code, 0) << sent.out;
}

// Waits until no UDP flow is left; how long it took.
Clock::duration until_udp_flows_expire(const ApiClient& api) {
    const auto start = Clock::now();
    while (udp_flows(api) != 0 && Clock::now() - start < 60s) std::this_thread::sleep_for(200ms);
    return Clock::now() - start;
}

// The wall-clock seconds of the line "running with" (start) and of each "reloaded" line.
std::vector<std::time_t> reload_stamps(const std::string& log) {
    std::vector<std::time_t> stamps;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("running with") == std::string::npos &&
            line.find("reloaded ") == std::string::npos)
            continue;
        std::tm when{};
        if (!::strptime(line.c_str(), "%Y-%m-%d %H:%M:%S", &when)) continue;
        stamps.push_back(::timegm(&when));
    }
    return stamps;
}

TEST(ClockStepE2e, StepsOfAnHourNeitherCutNorStallFlowsAndTimers) {
    if (::access(kLibFaketime, R_OK) != 0) GTEST_FAIL() << kLibFaketime << " missing (faketime)";
    E2eTopology topology;
    NginxServer nginx(topology);
    const auto file = nginx.add_file("f.bin", 6u << 20, 5);  // 6 s at /slow/'s 1 MB/s
    auto echo = topology.spawn_in_server(
        {"socat", std::string("UDP-RECVFROM:7,bind=") + E2eTopology::kWebV4 + ",fork", "EXEC:cat"});

    TempDir dir;
    const std::string offset_file = dir.file("faketime");
    dir.write("faketime", "+0\n");
    const char* asan = std::getenv("ASAN_OPTIONS");
    ShuntInNamespace::Options options;
    options.extra_tun = "udp_idle_timeout_s = " + std::to_string(kUdpIdleSeconds) + "\n";
    options.extra_sections = "[api]\nsecret = \"" + std::string(kSecret) + "\"\n";
    options.env = {std::string("LD_PRELOAD=") + kLibFaketime,
                   "FAKETIME_TIMESTAMP_FILE=" + offset_file, "FAKETIME_NO_CACHE=1",
                   "FAKETIME_DONT_FAKE_MONOTONIC=1",
                   // libfaketime comes before ASan's runtime in the link order.
                   std::string("ASAN_OPTIONS=") + (asan ? asan : "") + ":verify_asan_link_order=0"};
    ShuntInNamespace shunt(topology, options);
    shunt.start();
    const ApiClient api(topology.client_ns(), kSecret);
    ASSERT_TRUE(api.wait_until_up());

    // Control: a UDP flow expires after its idle timeout on an unstepped clock.
    open_udp_flow(topology);
    ASSERT_EQ(udp_flows(api), 1) << shunt.log();
    const auto control = until_udp_flows_expire(api);
    ASSERT_EQ(udp_flows(api), 0);

    HttpTransfer download;
    std::thread downloader([&] {
        download = http_get_sha256(
            topology.client_ns(),
            std::string("http://") + E2eTopology::kWebSite + "/slow" + file.url_path, {}, 60s);
    });
    // An idle TCP connection held across both steps, used only at the end.
    auto idle_tcp = topology.spawn_in_client(
        {"sh", "-c",
         std::string("(sleep 8; printf 'GET ") + file.url_path +
             " HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n'; sleep 5) | socat -T20 - TCP:" +
             E2eTopology::kWebSite + ":80 > " + dir.file("idle.out")});
    std::this_thread::sleep_for(1500ms);

    // Forward by an hour; the reload's log line carries shunt's (stepped) wall clock.
    dir.write("faketime", "+1h\n");
    ASSERT_TRUE(shunt.reload(options));
    std::this_thread::sleep_for(1500ms);
    // Back to an hour before the real time: a step back of two hours.
    dir.write("faketime", "-1h\n");
    ASSERT_TRUE(shunt.reload(options));

    // A UDP flow opened after the step back still expires after its idle timeout, not
    // after the hours the step added.
    open_udp_flow(topology);
    ASSERT_EQ(udp_flows(api), 1) << shunt.log();
    const auto stepped = until_udp_flows_expire(api);
    EXPECT_EQ(udp_flows(api), 0) << "a UDP flow outlived its idle timeout by far";
    EXPECT_LT(stepped, control + 5s);

    downloader.join();
    EXPECT_EQ(download.exit_code, 0) << shunt.log();
    EXPECT_EQ(download.sha256, file.sha256);
    // The idle connection survived the steps and carried its request.
    EXPECT_EQ(idle_tcp->wait(30s), 0);
    const std::string idle = read_file(dir.file("idle.out"));
    EXPECT_EQ(idle.rfind("HTTP/1.1 200", 0), 0u) << idle.substr(0, 200);
    EXPECT_GT(idle.size(), file.size);

    // Proof that the steps reached shunt: the wall-clock stamps of its log lines jumped
    // by an hour forward at the first reload and two hours back at the second.
    const auto stamps = reload_stamps(shunt.log());
    ASSERT_EQ(stamps.size(), 3u) << shunt.log();
    EXPECT_NEAR(static_cast<double>(stamps[1] - stamps[0]), 3600.0, 120.0);
    EXPECT_NEAR(static_cast<double>(stamps[2] - stamps[1]), -7200.0, 120.0);
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test

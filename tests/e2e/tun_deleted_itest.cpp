// The TUN device deleted under a running shunt (an administrator's `ip link del`, a
// network manager cleaning up): shunt notices at once, does not spin on the dead device
// (a deleted TUN is always readable and every read fails), resets the flows it carried,
// makes the device and its routes again, and traffic by name works as before.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/process_stats.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

TEST(TunDeletedE2e, DeviceIsMadeAgainAndTrafficGoesOn) {
    E2eTopology topology;
    NginxServer nginx(topology);
    const auto file = nginx.add_file("f.bin", 1u << 20, 3);
    ShuntInNamespace shunt(topology, {});
    shunt.start();
    const std::string url = std::string("http://") + E2eTopology::kWebSite + file.url_path;
    auto before = http_get_sha256(topology.client_ns(), url, {}, 30s);
    ASSERT_EQ(before.exit_code, 0) << shunt.log();
    ASSERT_EQ(before.sha256, file.sha256);

    const double cpu_before = cpu_seconds(shunt.pid());
    const auto deleted =
        topology.shell_in_client(std::string("ip link del ") + ShuntInNamespace::kTunName);
    ASSERT_EQ(deleted.exit_code, 0) << deleted.out;
    // Made again within seconds (the first try is 1 s after the failure).
    const auto start = std::chrono::steady_clock::now();
    while (shunt.log().find("made again") == std::string::npos &&
           std::chrono::steady_clock::now() - start < 20s)
        std::this_thread::sleep_for(100ms);
    const std::string log = shunt.log();
    ASSERT_NE(log.find("made again"), std::string::npos) << log;
    EXPECT_NE(log.find("tun: shunt-e2e0 failed (read: "), std::string::npos) << log;
    // No spin and no flood while the device was gone: a spinning loop burns a core and
    // logs a line per read.
    EXPECT_LT(cpu_seconds(shunt.pid()) - cpu_before, 0.5);
    EXPECT_LE(count_occurrences(log, "failed (read: "), 1u) << log;
    EXPECT_EQ(count_occurrences(log, "tun: read: "), 0u) << log;

    const auto link =
        topology.shell_in_client(std::string("ip -o link show ") + ShuntInNamespace::kTunName);
    EXPECT_EQ(link.exit_code, 0) << link.out;
    // The fake IP the client's resolver cached still leads to the server.
    auto after = http_get_sha256(topology.client_ns(), url, {}, 30s);
    ASSERT_EQ(after.exit_code, 0) << shunt.log();
    EXPECT_EQ(after.sha256, file.sha256);
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test

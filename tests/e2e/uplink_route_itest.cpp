// The uplink's default route removed under a running shunt, then restored (a Wi-Fi roam,
// a DHCP renew, an administrator): while it is gone, new flows through shunt fail at
// once (the app gets a reset, not a hang) and shunt says why; a download already running
// stalls and resumes, intact; once the route is back, new flows work with no restart.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

TEST(UplinkRouteE2e, RemovedRouteFailsNewFlowsAtOnceAndRestoredRouteNeedsNoRestart) {
    E2eTopology topology;
    NginxServer nginx(topology);
    const auto small = nginx.add_file("small.bin", 64u << 10, 1);
    const auto slow = nginx.add_file("slow.bin", 4u << 20, 2);  // 4 s at 1 MB/s
    ShuntInNamespace shunt(topology, {});
    shunt.start();
    const std::string site = std::string("http://") + E2eTopology::kWebSite;
    ASSERT_EQ(http_get_sha256(topology.client_ns(), site + small.url_path, {}, 20s).exit_code, 0)
        << shunt.log();

    HttpTransfer running;
    std::thread downloader([&] {
        running = http_get_sha256(topology.client_ns(), site + "/slow" + slow.url_path, {}, 60s);
    });
    std::this_thread::sleep_for(1s);
    ASSERT_EQ(topology.run_in_client({"ip", "route", "del", "default"}).exit_code, 0);

    const std::size_t log_before = shunt.log().size();
    const auto started = std::chrono::steady_clock::now();
    const auto refused = http_get_sha256(topology.client_ns(), site + small.url_path, {}, 20s);
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s) << "a hang, not a reset";
    EXPECT_NE(shunt.log().substr(log_before).find("Network is unreachable"), std::string::npos)
        << log_tail(shunt.log());

    std::this_thread::sleep_for(1s);
    ASSERT_EQ(topology.run_in_client({"ip", "route", "add", "default", "via", topology.server_v4()})
                  .exit_code,
              0);
    const auto again = http_get_sha256(topology.client_ns(), site + small.url_path, {}, 20s);
    EXPECT_EQ(again.exit_code, 0) << log_tail(shunt.log());
    EXPECT_EQ(again.sha256, small.sha256);
    downloader.join();
    EXPECT_EQ(running.exit_code, 0) << log_tail(shunt.log());
    EXPECT_EQ(running.sha256, slow.sha256);
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test

// A storm of reloads: 100 SIGHUPs in 10 s, good and bad configs taking turns, while a
// download runs through shunt. The download stays intact, every bad config is refused
// and leaves the running one in force, the last good config is the one in force at the
// end, and shunt holds no more descriptors afterwards than before.
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/api_client.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "storm-secret";

// Good configs differ in one rule, so the API tells which of them is in force.
ShuntInNamespace::Options good(int generation) {
    ShuntInNamespace::Options o;
    o.top_level = "rules = [\"DOMAIN,generation-" + std::to_string(generation) +
                  ".e2e.test,REJECT\", \"DOMAIN-SUFFIX,e2e.test,DIRECT\", \"MATCH,DIRECT\"]\n";
    o.extra_sections = "[api]\nsecret = \"" + std::string(kSecret) + "\"\n";
    return o;
}

// Refused at load: an unknown mode (file:line:key), the running config stays.
ShuntInNamespace::Options bad(int generation) {
    auto o = good(generation);
    o.top_level += "mode = \"sideways\"\n";
    return o;
}

TEST(ReloadStorm, HundredReloadsInTenSecondsLoseNoFlowAndKeepTheLastGoodConfig) {
    E2eTopology topology;
    NginxServer nginx(topology);
    const auto file = nginx.add_file("storm.bin", 12u << 20, 11);  // 12 s at 1 MB/s
    ShuntInNamespace shunt(topology, good(0));
    shunt.start();
    const ApiClient api(topology.client_ns(), kSecret);
    ASSERT_TRUE(api.wait_until_up()) << shunt.log();
    std::this_thread::sleep_for(200ms);
    const int fds_before = shunt.open_fds();

    HttpTransfer download;
    std::thread downloader([&] {
        download = http_get_sha256(
            topology.client_ns(),
            std::string("http://") + E2eTopology::kWebSite + "/slow" + file.url_path, {}, 60s);
    });
    int last_good = 0;
    for (int i = 1; i <= 100; ++i) {
        if (i % 2 == 1) {
            last_good = i;
            shunt.send_reload(good(i));
        } else {
            shunt.send_reload(bad(i));
        }
        std::this_thread::sleep_for(100ms);
    }
    downloader.join();
    EXPECT_EQ(download.exit_code, 0) << log_tail(shunt.log());
    EXPECT_EQ(download.sha256, file.sha256);

    // The storm ended on a bad config: the last good one (99) is in force.
    std::this_thread::sleep_for(500ms);
    const auto rules = api.get("/rules");
    ASSERT_EQ(rules.status, 200) << rules.body;
    EXPECT_NE(rules.body.find("generation-" + std::to_string(last_good) + ".e2e.test"),
              std::string::npos)
        << rules.body.substr(0, 500);
    const std::string log = shunt.log();
    EXPECT_GT(count_occurrences(log, "keeping the running configuration"), 0u);
    EXPECT_GT(count_occurrences(log, "reloaded "), 0u);
    EXPECT_NE(log.find("mode"), std::string::npos);
    EXPECT_LE(shunt.wait_for_fds_at_most(fds_before), fds_before);
    // And it still reloads normally.
    EXPECT_TRUE(shunt.reload(good(1000))) << log_tail(shunt.log());
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test

// The built-in dashboard in a real browser (api/ui/index.html): Debian's chromium,
// headless, driven by tests/browser/dashboard_test.mjs (puppeteer-core) inside the client
// namespace of an end-to-end topology where shunt runs with its TUN device. The script
// clicks — a group member, the mode, a connection's close button — and this test checks
// what the clicks did through the API and the download they closed. Screenshots land in
// <build>/test-output/dashboard/.
#include <gtest/gtest.h>

#include <filesystem>

#include <boost/json.hpp>

#include "tests/support/api_client.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "browser-secret";

TEST(DashboardInChromium, SwitchesAGroupAndTheModeAndClosesALiveConnection) {
    const std::string browser_dir = std::string(SHUNT_SOURCE_DIR) + "/tests/browser";
    ASSERT_TRUE(std::filesystem::exists(browser_dir + "/node_modules/puppeteer-core"))
        << "puppeteer-core is missing: run scripts/setup.sh";
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "run scripts/setup.sh";
    const auto out_dir =
        std::filesystem::path(SHUNT_BINARY).parent_path() / "test-output" / "dashboard";
    std::filesystem::remove_all(out_dir);
    std::filesystem::create_directories(out_dir);

    E2eTopology topology;
    NginxServer nginx(topology);
    ShuntInNamespace::Options options;
    options.top_level =
        "rules = [\"MATCH,DIRECT\"]\n[[groups]]\nname = \"exit\"\ntype = \"select\"\n"
        "proxies = [\"DIRECT\", \"REJECT\"]\n";
    options.extra_sections = "[api]\nsecret = \"" + std::string(kSecret) + "\"\n";
    ShuntInNamespace shunt(topology, options);
    shunt.start();
    const ApiClient api(topology.client_ns(), kSecret);
    ASSERT_TRUE(api.wait_until_up()) << shunt.log();

    // A download that lasts (nginx sends 1 MB/s) for the dashboard to find and close.
    const auto file = nginx.add_file("long.bin", 64u << 20, 8);
    TempDir dir;
    auto curl = topology.spawn_in_client(
        {"curl", "-sS", "-o", "/dev/null",
         std::string("http://") + E2eTopology::kWebSite + "/slow" + file.url_path},
        {.netns = "", .stdout_path = "", .stderr_path = dir.file("curl.err"), .env = {}});

    const auto script = topology.run_in_client(
        {"node", browser_dir + "/dashboard_test.mjs", "http://127.0.0.1:9090", kSecret, "exit",
         "REJECT", E2eTopology::kWebSite, out_dir.string()},
        120s);
    EXPECT_EQ(script.exit_code, 0) << script.out << shunt.log();
    EXPECT_NE(script.out.find("\nok"), std::string::npos) << script.out;

    // What the clicks did, seen from outside the browser.
    EXPECT_EQ(api.get("/proxies/exit").json().at("now"), "REJECT");
    EXPECT_EQ(api.get("/configs").json().at("mode"), "global");
    const auto status = curl->wait(5s);
    ASSERT_TRUE(status) << "the closed download is still running";
    EXPECT_NE(*status, 0) << read_file(dir.file("curl.err"));
    for (const char* shot : {"1-open.png", "2-switched.png", "3-connection.png", "4-closed.png"})
        EXPECT_TRUE(std::filesystem::exists(out_dir / shot)) << shot;
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test

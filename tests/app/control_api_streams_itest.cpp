// The control API's streams against a running shunt (docs/api.md §3): a real WebSocket
// client (python3-websockets) and curl for the chunked form. What they report must be
// what happened: /traffic's totals are the bytes curl downloaded through the TUN,
// /connections shows that download, /logs delivers a line shunt logged.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "tests/support/api_client.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* kSecret = "e2e-secret";

// The JSON messages a stream client printed, one per line.
std::vector<json::value> messages_in(const std::string& text) {
    std::vector<json::value> out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        boost::system::error_code ec;
        auto value = json::parse(line, ec);
        if (!ec) out.push_back(std::move(value));
    }
    return out;
}

class ControlApiStreams : public ::testing::Test {
  protected:
    void SetUp() override {
        ShuntInNamespace::Options o;
        o.top_level = "rules = [\"MATCH,DIRECT\"]\n";
        o.extra_sections = "[api]\nsecret = \"" + std::string(kSecret) + "\"\n";
        shunt_ = std::make_unique<ShuntInNamespace>(topology_, o);
        shunt_->start();
        ASSERT_TRUE(api_.wait_until_up()) << shunt_->log();
    }
    void TearDown() override {
        if (shunt_) {
            EXPECT_EQ(shunt_->stop(), 0);
        }
    }
    // The WebSocket client in the client namespace, printing into `out` for `seconds`.
    std::unique_ptr<ChildProcess> subscribe(const std::string& path_and_query, double seconds,
                                            const std::string& out, bool token = true) {
        const std::string url =
            "ws://127.0.0.1:9090" + path_and_query +
            (token ? std::string(path_and_query.find('?') == std::string::npos ? "?" : "&") +
                         "token=" + kSecret
                   : "");
        ChildProcess::Options o;
        o.stdout_path = out;
        o.stderr_path = out + ".err";
        return topology_.spawn_in_client(
            {"/usr/bin/python3", std::string(SHUNT_SOURCE_DIR) + "/tests/support/ws_client.py", url,
             std::to_string(seconds)},
            o);
    }

    E2eTopology topology_;
    NginxServer nginx_{topology_};
    std::unique_ptr<ShuntInNamespace> shunt_;
    ApiClient api_{topology_.client_ns(), kSecret};
    TempDir dir_;
};

TEST_F(ControlApiStreams, TrafficTotalsAreTheBytesCurlDownloaded) {
    const auto file = nginx_.add_file("ten.bin", 10u << 20, 3);
    auto client = subscribe("/traffic", 8, dir_.file("traffic"));
    // The first tick says where the totals stood before the download.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (messages_in(read_file(dir_.file("traffic"))).empty() &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    const auto before = messages_in(read_file(dir_.file("traffic")));
    ASSERT_FALSE(before.empty()) << read_file(dir_.file("traffic.err"));
    const auto download =
        http_get_sha256(topology_.client_ns(),
                        std::string("http://") + E2eTopology::kWebSite + file.url_path, {}, 60s);
    ASSERT_EQ(download.exit_code, 0) << shunt_->log();
    ASSERT_TRUE(client->wait(15s)) << "the client runs for 8 s";
    const auto all = messages_in(read_file(dir_.file("traffic")));
    ASSERT_GE(all.size(), 3u) << read_file(dir_.file("traffic"));
    const auto first_total = before.front().at("downTotal").to_number<double>();
    const auto last_total = all.back().at("downTotal").to_number<double>();
    const double moved = last_total - first_total;
    // The payload counted is the HTTP response: the file and a few hundred header bytes.
    EXPECT_NEAR(moved, static_cast<double>(file.size), file.size * 0.05);
    // The per-second rates add up to the same bytes.
    double rates = 0;
    for (std::size_t i = 1; i < all.size(); ++i) rates += all[i].at("down").to_number<double>();
    const double counted = last_total - all.front().at("downTotal").to_number<double>();
    EXPECT_NEAR(rates, counted, counted * 0.05 + 1024);
    for (const auto& m : all)
        for (const char* key : {"up", "down", "upTotal", "downTotal"})
            EXPECT_TRUE(m.as_object().contains(key)) << key;
}

TEST_F(ControlApiStreams, ConnectionsOverAWebSocketShowTheDownloadAsItRuns) {
    const auto file = nginx_.add_file("slow.bin", 8u << 20, 4);
    ChildProcess::Options o;
    auto curl = topology_.spawn_in_client(
        {"curl", "-s", "-o", "/dev/null",
         std::string("http://") + E2eTopology::kWebSite + "/slow" + file.url_path},
        o);
    auto client = subscribe("/connections?interval=200", 2.5, dir_.file("connections"));
    ASSERT_TRUE(client->wait(10s));
    const auto all = messages_in(read_file(dir_.file("connections")));
    // A snapshot at once and then every 200 ms: about 12 in 2.5 s (fewer on a busy machine).
    EXPECT_GE(all.size(), 4u) << read_file(dir_.file("connections.err"));
    bool seen = false;
    for (const auto& snapshot : all)
        for (const auto& c : snapshot.at("connections").as_array())
            seen = seen || c.at("metadata").at("host") == E2eTopology::kWebSite;
    EXPECT_TRUE(seen) << read_file(dir_.file("connections"));
}

TEST_F(ControlApiStreams, LogsDeliverALineShuntLogged) {
    auto client = subscribe("/logs?level=info", 4, dir_.file("logs"));
    std::this_thread::sleep_for(1s);  // subscribed
    ASSERT_EQ(api_.request("PATCH", "/configs", R"({"mode":"global"})").status, 204);
    ASSERT_TRUE(client->wait(10s));
    bool seen = false;
    for (const auto& line : messages_in(read_file(dir_.file("logs"))))
        seen = seen ||
               (line.at("type") == "info" && line.at("payload") == "api: mode global (was rule)");
    EXPECT_TRUE(seen) << read_file(dir_.file("logs")) << read_file(dir_.file("logs.err"));
    EXPECT_EQ(api_.get("/logs?level=loud").status, 400);
}

TEST_F(ControlApiStreams, ChunkedTrafficAndMemoryForCurl) {
    for (const char* path : {"/traffic", "/memory"}) {
        const auto result =
            topology_.run_in_client({"curl", "-sN", "--max-time", "2.5", "-H",
                                     std::string("Authorization: Bearer ") + kSecret,
                                     std::string("http://127.0.0.1:9090") + path});
        const auto lines = messages_in(result.out);
        EXPECT_GE(lines.size(), 1u) << path << ": " << result.out;
        if (!lines.empty() && std::string(path) == "/memory") {
            EXPECT_GT(lines.front().at("inuse").to_number<double>(), 1e6);
        }
    }
}

TEST_F(ControlApiStreams, AWebSocketNeedsTheTokenOrTheBearer) {
    auto refused = subscribe("/traffic", 1, dir_.file("refused"), false);
    ASSERT_TRUE(refused->wait(10s));
    EXPECT_NE(read_file(dir_.file("refused")).find("status 401"), std::string::npos)
        << read_file(dir_.file("refused"));
    // The token in the query authenticates a WebSocket upgrade only.
    EXPECT_EQ(
        ApiClient(topology_.client_ns(), "").get(std::string("/configs?token=") + kSecret).status,
        401);
}

TEST(ControlApiStalledStream, AStalledSubscriberNeverHoldsShuntBackNorGrowsItsMemory) {
    E2eTopology topology;
    NginxServer nginx(topology);
    // Small socket buffers in the client namespace (where shunt and its API run): a
    // subscriber that reads nothing backs its connection up within a second.
    topology.run_in_client({"sysctl", "-qw", "net.ipv4.tcp_wmem=4096 8192 16384"});
    topology.run_in_client({"sysctl", "-qw", "net.ipv4.tcp_rmem=4096 8192 16384"});
    ShuntInNamespace::Options o;
    o.top_level = "rules = [\"MATCH,DIRECT\"]\n";
    o.extra_sections = "[api]\nsecret = \"" + std::string(kSecret) + "\"\n";
    // In the sanitizer build freed memory waits in ASan's quarantine (up to 256 MB), so RSS
    // grows with any churn — the ten downloads' — not only with what shunt holds; a small
    // quarantine leaves RSS to measure what is held.
    const char* asan = std::getenv("ASAN_OPTIONS");
    o.env = {std::string("ASAN_OPTIONS=") + (asan ? asan : "") + ":quarantine_size_mb=1"};
    ShuntInNamespace shunt(topology, o);
    shunt.start();
    const ApiClient api(topology.client_ns(), kSecret);
    ASSERT_TRUE(api.wait_until_up()) << shunt.log();
    // Ten flows that stay open make each snapshot a few KB.
    const auto file = nginx.add_file("trickle.bin", 16u << 20, 6);
    std::vector<std::unique_ptr<ChildProcess>> downloads;
    for (int i = 0; i < 10; ++i)
        downloads.push_back(topology.spawn_in_client(
            {"curl", "-s", "--limit-rate", "20K", "-o", "/dev/null",
             std::string("http://") + E2eTopology::kWebSite + file.url_path}));
    TempDir dir;
    ChildProcess::Options out{.netns = "",
                              .stdout_path = dir.file("stalled"),
                              .stderr_path = dir.file("stalled.err"),
                              .env = {}};
    auto stalled = topology.spawn_in_client(
        {"/usr/bin/python3", std::string(SHUNT_SOURCE_DIR) + "/tests/support/ws_client.py",
         "--stall", std::string("ws://127.0.0.1:9090/connections?interval=100&token=") + kSecret,
         "6"},
        out);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (read_file(dir.file("stalled")).find("stalled") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    ASSERT_NE(read_file(dir.file("stalled")).find("stalled"), std::string::npos)
        << read_file(dir.file("stalled.err"));
    std::this_thread::sleep_for(1500ms);  // backed up by now
    const auto rss_kb = [&] {
        const auto status = read_file("/proc/" + std::to_string(shunt.pid()) + "/status");
        const auto at = status.find("VmRSS:");
        return at == std::string::npos ? 0L : std::atol(status.c_str() + at + 6);
    };
    const long rss_before = rss_kb();
    std::this_thread::sleep_for(3s);  // 30 snapshots the client does not take
    const long rss_after = rss_kb();
    EXPECT_LT(rss_after - rss_before, 2048) << "KB grown while a subscriber stalled";
    // Meanwhile everything else is served at once.
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(api.get("/version").status, 200);
    EXPECT_EQ(api.get("/connections").json().at("connections").as_array().size(), 10u);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    ASSERT_TRUE(stalled->wait(15s));
    // When it goes, the drops are counted.
    const auto log_deadline = std::chrono::steady_clock::now() + 5s;
    while (shunt.log().find("message(s) dropped for a slow client") == std::string::npos &&
           std::chrono::steady_clock::now() < log_deadline)
        std::this_thread::sleep_for(50ms);
    // About 60 snapshots came due while it read nothing: the queue kept one, the rest
    // were dropped (an unbounded queue would have dropped none).
    const std::string log = shunt.log();
    const auto at = log.find(" message(s) dropped for a slow client");
    ASSERT_NE(at, std::string::npos) << log;
    const auto number_start = log.rfind(' ', at - 1) + 1;
    EXPECT_GE(std::atoi(log.c_str() + number_start), 20) << log.substr(number_start, 80);
    downloads.clear();
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test

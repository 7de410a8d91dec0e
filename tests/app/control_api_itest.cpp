// The control API of a running `shunt run`, end to end: shunt in the client namespace
// with its TUN device and [api], curl downloading through it from nginx, and the API
// driven with curl as a script would (docs/api.md). What the API says must be what the
// data path does: the flow it lists is the download, and closing it ends the download.
#include <gtest/gtest.h>

#include <filesystem>
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

class ControlApiE2e : public ::testing::Test {
  protected:
    ShuntInNamespace::Options options(std::string api = "") const {
        ShuntInNamespace::Options o;
        o.top_level =
            std::string("rules = [\"DOMAIN-SUFFIX,e2e.test,DIRECT\", \"MATCH,REJECT\"]\n");
        o.extra_sections = "[api]\nsecret = \"" + std::string(kSecret) + "\"\n" + api;
        return o;
    }
    // A download that stays open while the test looks at it: nginx sends at 1 MB/s and
    // curl reads at once, so nothing waits in curl's socket buffer when the flow ends.
    std::unique_ptr<ChildProcess> start_slow_download(const TempDir& dir) {
        const auto file = nginx_.add_file("slow.bin", 64u << 20, 5);
        ChildProcess::Options o;
        o.stderr_path = dir.file("curl.err");
        return topology_.spawn_in_client(
            {"curl", "-sS", "-o", "/dev/null",
             std::string("http://") + E2eTopology::kWebSite + "/slow" + file.url_path},
            o);
    }
    // The connection whose host is `host` in GET /connections, polled for `wait`.
    json::object find_connection(const ApiClient& api, const std::string& host,
                                 std::chrono::milliseconds wait = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + wait;
        do {
            const auto reply = api.get("/connections");
            if (reply.status == 200) {
                const auto snapshot = reply.json();
                for (const auto& c : snapshot.at("connections").as_array()) {
                    if (c.at("metadata").at("host").as_string() == host) return c.as_object();
                }
            }
            std::this_thread::sleep_for(50ms);
        } while (std::chrono::steady_clock::now() < deadline);
        return {};
    }

    E2eTopology topology_;
    NginxServer nginx_{topology_};
};

TEST_F(ControlApiE2e, ListsTheDownloadAndClosingItResetsCurl) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    const ApiClient api(topology_.client_ns(), kSecret);
    ASSERT_TRUE(api.wait_until_up()) << shunt.log();
    EXPECT_EQ(api.get("/version").json().at("version").as_string(), "shunt 0.1.0");

    TempDir dir;
    auto curl = start_slow_download(dir);
    const auto flow = find_connection(api, E2eTopology::kWebSite);
    ASSERT_FALSE(flow.empty()) << shunt.log();
    const auto& metadata = flow.at("metadata");
    EXPECT_EQ(metadata.at("network").as_string(), "tcp");
    EXPECT_EQ(metadata.at("type").as_string(), "Tun");
    EXPECT_EQ(metadata.at("destinationPort").as_string(), "80");
    EXPECT_EQ(metadata.at("dnsMode").as_string(), "fake-ip");
    EXPECT_EQ(metadata.at("destinationIP").as_string(), "");  // a fake address means nothing
    EXPECT_EQ(flow.at("rule").as_string(), "DomainSuffix");
    EXPECT_EQ(flow.at("rulePayload").as_string(), "e2e.test");
    EXPECT_EQ(flow.at("chains"), json::parse(R"(["DIRECT"])"));
    ASSERT_TRUE(curl->running());

    // The download is moving, and the API's counter with it. nginx's rate limit sends in
    // bursts (a socket buffer's worth, then a pause of up to a second): wait for the next.
    const auto download_before = flow.at("download").to_number<std::int64_t>();
    std::int64_t download_later = download_before;
    for (int i = 0; i < 30 && download_later <= download_before; ++i) {
        std::this_thread::sleep_for(100ms);
        const auto later = find_connection(api, E2eTopology::kWebSite);
        ASSERT_FALSE(later.empty());
        download_later = later.at("download").to_number<std::int64_t>();
    }
    EXPECT_GT(download_later, download_before);

    const auto id = std::string(flow.at("id").as_string());
    const auto closed_at = std::chrono::steady_clock::now();
    EXPECT_EQ(api.request("DELETE", "/connections/" + id).status, 204);
    const auto status = curl->wait(5s);
    ASSERT_TRUE(status) << "curl still running after DELETE /connections/" << id;
    const auto took = std::chrono::steady_clock::now() - closed_at;
    EXPECT_NE(*status, 0) << "curl must see the connection end with an error";
    EXPECT_LT(took, 1s) << "curl ended "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms after the DELETE";
    EXPECT_NE(read_file(dir.file("curl.err")).find("curl: (56)"), std::string::npos)
        << read_file(dir.file("curl.err"));
    EXPECT_TRUE(find_connection(api, E2eTopology::kWebSite, 0ms).empty());
    // Gone: closing it again is no error (mihomo answers 204 too).
    EXPECT_EQ(api.request("DELETE", "/connections/" + id).status, 204);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(ControlApiE2e, TheSecretAndTheHostAreChecked) {
    TempDir dir;
    ShuntInNamespace shunt(topology_, options("unix = \"" + dir.file("api.sock") + "\"\n"));
    shunt.start();
    const ApiClient api(topology_.client_ns(), kSecret);
    ASSERT_TRUE(api.wait_until_up()) << shunt.log();
    EXPECT_EQ(ApiClient(topology_.client_ns(), "").get("/connections").status, 401);
    EXPECT_EQ(ApiClient(topology_.client_ns(), "wrong").get("/connections").status, 401);
    EXPECT_EQ(api.get("/connections").status, 200);
    // DNS rebinding: a page on attacker.example resolving to 127.0.0.1.
    const auto rebound = topology_.run_in_client(
        {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: attacker.example:9090",
         "-H", std::string("Authorization: Bearer ") + kSecret,
         "http://127.0.0.1:9090/connections"});
    EXPECT_EQ(rebound.out, "403");
    // The unix socket's file mode is its guard: no secret there.
    const auto local =
        topology_.run_in_client({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                 "--unix-socket", dir.file("api.sock"), "http://shunt/configs"});
    EXPECT_EQ(local.out, "200");
    EXPECT_EQ(shunt.stop(), 0);
    EXPECT_FALSE(std::filesystem::exists(dir.file("api.sock")));
}

TEST_F(ControlApiE2e, ANonLoopbackListenWithoutSecretDoesNotStart) {
    auto o = options();
    o.extra_sections = "[api]\nlisten = \"0.0.0.0:9090\"\n";
    ShuntInNamespace shunt(topology_, o);
    try {
        shunt.start();
        FAIL() << "shunt started with an open API on 0.0.0.0";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("api.secret: required when listen (0.0.0.0:9090)"),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(ControlApiE2e, AReloadAppliesANewSecret) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    ASSERT_TRUE(ApiClient(topology_.client_ns(), kSecret).wait_until_up()) << shunt.log();
    auto changed = options();
    changed.extra_sections = "[api]\nsecret = \"rotated\"\n";
    ASSERT_TRUE(shunt.reload(changed)) << shunt.log();
    EXPECT_EQ(ApiClient(topology_.client_ns(), kSecret).get("/connections").status, 401);
    EXPECT_EQ(ApiClient(topology_.client_ns(), "rotated").get("/connections").status, 200);
    EXPECT_EQ(shunt.log().find("rotated"), std::string::npos) << "the secret reached the log";
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(ControlApiE2e, DnsQueriesAreAnsweredByShuntsOwnDnsFakeIpsIncluded) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    const ApiClient api(topology_.client_ns(), kSecret);
    ASSERT_TRUE(api.wait_until_up()) << shunt.log();
    const auto answer = api.get(std::string("/dns/query?name=") + E2eTopology::kWebSite);
    ASSERT_EQ(answer.status, 200) << answer.body;
    const auto json = answer.json();
    EXPECT_EQ(json.at("Status"), 0);
    EXPECT_EQ(json.at("Question").at(0).at("Name"), "www.e2e.test.");
    EXPECT_EQ(json.at("Question").at(0).at("Qtype"), 1);
    const auto& record = json.at("Answer").at(0);
    EXPECT_EQ(record.at("type"), 1);
    const std::string fake(record.at("data").as_string());
    EXPECT_EQ(fake.rfind("198.1", 0), 0u) << fake;
    EXPECT_EQ(shunt.resolve(E2eTopology::kWebSite), fake) << "what applications get";
    // Not pooled: the real answer from the upstream (unbound has no TXT there: no data).
    const auto txt = api.get(std::string("/dns/query?name=") + E2eTopology::kWebSite + "&type=txt");
    ASSERT_EQ(txt.status, 200) << txt.body;
    EXPECT_FALSE(txt.json().as_object().contains("Answer"));
    // A names gets a fake address whether it exists or not; other types ask upstream.
    EXPECT_EQ(api.get("/dns/query?name=nx.e2e.test&type=TXT").json().at("Status"), 3);
    EXPECT_EQ(api.get("/dns/query?name=a.b&type=BOGUS").json().at("message"), "invalid query type");
    EXPECT_EQ(api.get("/dns/query?type=A").status, 400);
    EXPECT_EQ(api.request("POST", "/cache/dns/flush").status, 204);

    // shunt's own counters: what the queries above did, and the pool's fill.
    const auto stats = api.get("/dns/stats");
    ASSERT_EQ(stats.status, 200) << stats.body;
    const auto counters = stats.json();
    EXPECT_GE(counters.at("fakeAnswers").as_int64(), 2) << stats.body;  // the API's and dig's
    EXPECT_GE(counters.at("forwarded").as_int64(), 2) << stats.body;    // the TXT queries
    const auto& v4 = counters.at("fakeIp").at("ipv4");
    EXPECT_EQ(v4.at("size").as_int64(), 1) << stats.body;  // www.e2e.test, asked twice
    EXPECT_EQ(v4.at("capacity").as_int64(), 131069);
    EXPECT_EQ(v4.at("range"), "198.18.0.0/15");
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(ControlApiE2e, FlushingTheFakeIpPoolKeepsTheNamesOfLiveFlows) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    const ApiClient api(topology_.client_ns(), kSecret);
    ASSERT_TRUE(api.wait_until_up()) << shunt.log();
    ASSERT_FALSE(shunt.resolve(E2eTopology::kSecondSite).empty());
    TempDir dir;
    auto curl = start_slow_download(dir);
    const auto before = find_connection(api, E2eTopology::kWebSite);
    ASSERT_FALSE(before.empty()) << shunt.log();

    EXPECT_EQ(api.request("POST", "/cache/fakeip/flush").status, 204);
    EXPECT_NE(shunt.log().find("fake-IP pool flushed: 1 mapping(s) dropped, 1 kept for live flows"),
              std::string::npos)
        << shunt.log();
    // The open flow still knows its domain, and still moves.
    const auto after = find_connection(api, E2eTopology::kWebSite, 0ms);
    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after.at("id"), before.at("id"));
    EXPECT_TRUE(curl->running());
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test

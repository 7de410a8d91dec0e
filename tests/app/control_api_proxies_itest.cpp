// The control API switching for real: select groups, pins, the mode and reloads through
// the API, each checked by where the next connection actually goes. Two microsocks in the
// server namespace bind their outgoing connections to different addresses, and nginx's
// /whoami answers with the address a connection came from:
//   direct    -> the client's veth address
//   proxy a   -> the server's veth address
//   proxy b   -> 203.0.113.11
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/support/api_client.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/microsocks_server.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/server_resolv_conf.hpp"
#include "tests/support/shunt_in_namespace.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* kSecret = "e2e-secret";

class ControlApiSwitching : public ::testing::Test {
  protected:
    ControlApiSwitching()
        : socks_a_({.bind = topology_.server_v4()},
                   {topology_.server_ns(), topology_.server_v4(), 1080}),
          socks_b_({.bind = E2eTopology::kSecondWebV4},
                   {topology_.server_ns(), topology_.server_v4(), 1081}) {}

    ShuntInNamespace::Options options(const std::string& rules_extra = "") const {
        ShuntInNamespace::Options o;
        o.top_level = std::string("rules = [\"DOMAIN,") + E2eTopology::kWebSite + ",proxy\"" +
                      rules_extra + ", \"MATCH,DIRECT\"]\n" + proxy("a", 1080) + proxy("b", 1081) +
                      "[[groups]]\nname = \"proxy\"\ntype = \"select\"\nproxies = [\"a\", \"b\"]\n"
                      "[[groups]]\nname = \"auto\"\ntype = \"url-test\"\nproxies = [\"a\", "
                      "\"b\"]\nurl = \"http://" +
                      E2eTopology::kWebV4 + "/health\"\n";
        o.extra_sections = "[api]\nsecret = \"" + std::string(kSecret) + "\"\n";
        return o;
    }
    std::string proxy(const char* name, int port) const {
        return std::string("[[proxies]]\nname = \"") + name + "\"\ntype = \"socks5\"\nserver = \"" +
               topology_.server_v4() + "\"\nport = " + std::to_string(port) + "\n";
    }
    // Where a connection to `site` came from, as nginx saw it.
    std::string whoami(const char* site) const {
        auto result = topology_.run_in_client(
            {"curl", "-sS", "--max-time", "10", std::string("http://") + site + "/whoami"});
        return result.out.empty() ? "curl failed (" + std::to_string(result.exit_code) + ")"
                                  : result.out.substr(0, result.out.find('\n'));
    }
    std::string via_a() const { return topology_.server_v4(); }
    std::string via_b() const { return E2eTopology::kSecondWebV4; }
    std::string direct() const { return topology_.client_v4(); }

    E2eTopology topology_;
    NginxServer nginx_{topology_};
    ServerResolvConf resolv_conf_{topology_};  // microsocks resolves www.e2e.test
    MicrosocksServer socks_a_;
    MicrosocksServer socks_b_;
    ApiClient api_{topology_.client_ns(), kSecret};
};

TEST_F(ControlApiSwitching,
       ASelectionSendsTheNextConnectionThroughTheOtherMemberAndSurvivesARestart) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    ASSERT_TRUE(api_.wait_until_up()) << shunt.log();
    ASSERT_EQ(whoami(E2eTopology::kWebSite), via_a()) << shunt.log();
    EXPECT_EQ(api_.get("/proxies/proxy").json().at("now"), "a");

    EXPECT_EQ(api_.request("PUT", "/proxies/proxy", R"({"name":"b"})").status, 204);
    EXPECT_EQ(api_.get("/proxies/proxy").json().at("now"), "b");
    EXPECT_EQ(whoami(E2eTopology::kWebSite), via_b());

    // What mihomo answers when a switch cannot be made; nothing changes.
    const std::pair<std::pair<std::string, std::string>, std::pair<int, std::string>> refused[] = {
        {{"/proxies/a", R"({"name":"b"})"}, {400, "Must be a Selector"}},
        {{"/proxies/proxy", R"({"name":"DIRECT"})"},
         {400, "Selector update error: proxy not exist"}},
        {{"/proxies/proxy", R"({"nom":"a"})"}, {400, "Body invalid"}},
        {{"/proxies/proxy", "not json"}, {400, "Body invalid"}},
        {{"/proxies/nope", R"({"name":"a"})"}, {404, "Resource not found"}},
    };
    for (const auto& [request, expected] : refused) {
        const auto reply = api_.request("PUT", request.first, request.second);
        EXPECT_EQ(reply.status, expected.first) << request.first << " " << request.second;
        EXPECT_EQ(reply.json().at("message"), expected.second.c_str()) << request.second;
    }
    EXPECT_EQ(api_.get("/proxies/proxy").json().at("now"), "b");

    // The choice is kept beside the fake-IP store and restored at the next start.
    ASSERT_EQ(shunt.stop(), 0);
    shunt.start();
    ASSERT_TRUE(api_.wait_until_up()) << shunt.log();
    EXPECT_EQ(api_.get("/proxies/proxy").json().at("now"), "b") << shunt.log();
    EXPECT_EQ(whoami(E2eTopology::kWebSite), via_b());
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(ControlApiSwitching, TheModeDecidesWhereTheNextConnectionGoes) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    ASSERT_TRUE(api_.wait_until_up()) << shunt.log();
    EXPECT_EQ(whoami(E2eTopology::kSecondSite), direct()) << "MATCH,DIRECT in rule mode";

    // yacd sends the mode capitalised.
    EXPECT_EQ(api_.request("PATCH", "/configs", R"({"mode":"Global"})").status, 204);
    EXPECT_EQ(api_.get("/configs").json().at("mode"), "global");
    EXPECT_EQ(whoami(E2eTopology::kSecondSite), via_a()) << "GLOBAL starts on the first proxy";
    EXPECT_EQ(api_.request("PUT", "/proxies/GLOBAL", R"({"name":"b"})").status, 204);
    EXPECT_EQ(whoami(E2eTopology::kSecondSite), via_b());

    EXPECT_EQ(api_.request("PATCH", "/configs", R"({"mode":"direct"})").status, 204);
    EXPECT_EQ(whoami(E2eTopology::kWebSite), direct()) << "its rule says proxy";

    const auto bad = api_.request("PATCH", "/configs", R"({"mode":"sideways"})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.json().at("message"), "Body invalid");
    EXPECT_EQ(api_.get("/configs").json().at("mode"), "direct");
    EXPECT_EQ(api_.request("PATCH", "/configs", R"({"log-level":"warning"})").status, 204);
    EXPECT_EQ(api_.get("/configs").json().at("log-level"), "warning");
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(ControlApiSwitching, PinningAUrlTestGroupHoldsUntilItIsLifted) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    ASSERT_TRUE(api_.wait_until_up()) << shunt.log();
    EXPECT_EQ(api_.get("/proxies/auto").json().at("fixed"), "");
    EXPECT_EQ(api_.request("PUT", "/proxies/auto", R"({"name":"b"})").status, 204);
    const auto pinned = api_.get("/proxies/auto").json();
    EXPECT_EQ(pinned.at("fixed"), "b");
    EXPECT_EQ(pinned.at("now"), "b");
    EXPECT_EQ(api_.request("DELETE", "/proxies/auto").status, 204);
    EXPECT_EQ(api_.get("/proxies/auto").json().at("fixed"), "");
    EXPECT_EQ(api_.request("DELETE", "/proxies/proxy").json().at("message"), "Body invalid");
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(ControlApiSwitching, DelayTestsProbeThroughTheProxyAndAreRecorded) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    ASSERT_TRUE(api_.wait_until_up()) << shunt.log();
    const std::string url = std::string("url=http%3A%2F%2F") + E2eTopology::kWebV4 + "%2Fhealth";
    const auto delay = api_.get("/proxies/a/delay?" + url + "&timeout=5000");
    ASSERT_EQ(delay.status, 200) << delay.body;
    EXPECT_GE(delay.json().at("delay").to_number<int>(), 1);
    const auto a = api_.get("/proxies/a").json();
    ASSERT_EQ(a.at("history").as_array().size(), 1u);
    EXPECT_GE(a.at("history").at(0).at("delay").to_number<int>(), 1);
    EXPECT_EQ(a.at("alive"), true);
    EXPECT_TRUE(a.at("extra").as_object().contains(std::string("http://") + E2eTopology::kWebV4 +
                                                   "/health"));

    // The answer is 200, not what `expected` asks for; REJECT never answers.
    EXPECT_EQ(api_.get("/proxies/a/delay?" + url + "&timeout=5000&expected=204").status, 503);
    EXPECT_EQ(api_.get("/proxies/a").json().at("alive"), false);
    EXPECT_EQ(api_.get("/proxies/REJECT/delay?" + url + "&timeout=2000").status, 503);
    for (const char* bad : {"", "&timeout=40000", "&timeout=x", "&timeout=100&expected=2x"})
        EXPECT_EQ(api_.get("/proxies/a/delay?" + url + bad).status, 400) << bad;
    EXPECT_EQ(api_.get("/proxies/a/delay?url=ftp%3A%2F%2Fx&timeout=100").status, 400);
    EXPECT_EQ(api_.get("/proxies/nope/delay?" + url + "&timeout=100").status, 404);

    // A group: every member at once.
    const auto group = api_.get("/group/proxy/delay?" + url + "&timeout=5000");
    ASSERT_EQ(group.status, 200) << group.body;
    EXPECT_TRUE(group.json().as_object().contains("a"));
    EXPECT_TRUE(group.json().as_object().contains("b"));
    EXPECT_EQ(shunt.stop(), 0);
}

// metacubexd and zashboard test with https URLs: TLS through the outbound, the
// certificate checked (here against a test CA given to shunt as SSL_CERT_FILE).
TEST_F(ControlApiSwitching, HttpsDelayTestsGoThroughTlsAndCheckTheCertificate) {
    TestCa ca;
    const auto certificate = ca.issue(E2eTopology::kWebSite, E2eTopology::kWebV4);
    TempDir dir;
    auto tls_server = start_listening_process(
        {"openssl", "s_server", "-quiet", "-accept", "8443", "-cert", certificate.cert_file, "-key",
         certificate.key_file, "-www"},
        {.netns = topology_.server_ns(),
         .stdout_path = dir.file("s_server.log"),
         .stderr_path = dir.file("s_server.log"),
         .env = {}},
        E2eTopology::kWebV4, 8443, "openssl s_server", dir.file("s_server.log"));
    auto o = options();
    o.env = {"SSL_CERT_FILE=" + ca.ca_file()};
    ShuntInNamespace shunt(topology_, o);
    shunt.start();
    ASSERT_TRUE(api_.wait_until_up()) << shunt.log();
    const auto delay = [&](const std::string& via, const std::string& url) {
        return api_.get("/proxies/" + via + "/delay?url=" + url + "&timeout=5000");
    };
    const auto direct = delay("DIRECT", "https://www.e2e.test:8443/");
    EXPECT_EQ(direct.status, 200) << direct.body << shunt.log();
    const auto socks = delay("a", "https://www.e2e.test:8443/");
    EXPECT_EQ(socks.status, 200) << socks.body;
    EXPECT_EQ(delay("DIRECT", "https://203.0.113.10:8443/").status, 200) << "an IP SAN";
    // The same server under a name its certificate does not carry: refused.
    EXPECT_EQ(delay("DIRECT", "https://second.e2e.test:8443/").status, 503);
    // Plain HTTP to the TLS port is no answer either.
    EXPECT_EQ(delay("DIRECT", "http://www.e2e.test:8443/").status, 503);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(ControlApiSwitching, ProxiesGroupsProvidersAndRulesAsDashboardsReadThem) {
    ShuntInNamespace shunt(topology_, options(", \"AND,((DST-PORT,443),(NETWORK,udp)),REJECT\""));
    shunt.start();
    ASSERT_TRUE(api_.wait_until_up()) << shunt.log();
    const auto proxies = api_.get("/proxies").json().at("proxies").as_object();
    const std::pair<const char*, const char*> types[] = {
        {"DIRECT", "Direct"},  {"REJECT", "Reject"}, {"a", "Socks5"},       {"b", "Socks5"},
        {"proxy", "Selector"}, {"auto", "URLTest"},  {"GLOBAL", "Selector"}};
    for (const auto& [name, type] : types) {
        ASSERT_TRUE(proxies.contains(name)) << name;
        EXPECT_EQ(proxies.at(name).at("type"), type) << name;
        EXPECT_EQ(proxies.at(name).at("name"), name);
        EXPECT_TRUE(proxies.at(name).at("history").is_array()) << name;
    }
    EXPECT_EQ(proxies.at("GLOBAL").at("all"),
              json::parse(R"(["DIRECT","REJECT","a","b","proxy","auto"])"));
    EXPECT_EQ(proxies.at("proxy").at("all"), json::parse(R"(["a","b"])"));

    const auto groups = api_.get("/group").json().at("proxies").as_array();
    ASSERT_EQ(groups.size(), 3u);
    EXPECT_EQ(groups.at(2).at("name"), "GLOBAL");
    EXPECT_EQ(api_.get("/group/a").status, 404);

    const auto provider = api_.get("/providers/proxies").json().at("providers").at("default");
    EXPECT_EQ(provider.at("vehicleType"), "Compatible");
    EXPECT_EQ(provider.at("proxies").at(0).at("name"), "DIRECT");

    const auto rules = api_.get("/rules").json().at("rules").as_array();
    ASSERT_EQ(rules.size(), 3u);
    EXPECT_EQ(rules.at(0), json::parse(R"({"index":0,"type":"Domain","payload":"www.e2e.test",
                                           "proxy":"proxy","size":-1})"));
    EXPECT_EQ(rules.at(1).at("type"), "AND");
    EXPECT_EQ(rules.at(1).at("payload"), "((DstPort,443) && (Network,udp))");
    EXPECT_EQ(rules.at(2).at("type"), "Match");
    EXPECT_EQ(rules.at(2).at("payload"), "");

    const auto configs = api_.get("/configs").json();
    EXPECT_EQ(configs.at("tun").at("stack"), "lwIP");
    EXPECT_EQ(configs.at("tun").at("device"), ShuntInNamespace::kTunName);
    EXPECT_EQ(configs.at("mixed-port"), 0);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(ControlApiSwitching, PutConfigsReloadsTheFileAndABadOneComesBackWithItsLine) {
    ShuntInNamespace shunt(topology_, options());
    shunt.start();
    ASSERT_TRUE(api_.wait_until_up()) << shunt.log();
    ASSERT_EQ(api_.request("PUT", "/proxies/proxy", R"({"name":"b"})").status, 204);
    EXPECT_EQ(api_.request("PUT", "/configs", R"({"path":"","payload":""})").status, 204);
    EXPECT_EQ(api_.get("/proxies/proxy").json().at("now"), "b") << "the selection survives";
    const auto other = api_.request("PUT", "/configs", R"({"path":"/etc/passwd"})");
    EXPECT_EQ(other.status, 400);

    // A broken file: the error names its line, and the running config stays.
    auto broken = options();
    broken.extra_tun = "mtu = 10\n";
    shunt.reload(broken);  // SIGHUP refuses it too
    const auto refused = api_.request("PUT", "/configs");
    EXPECT_EQ(refused.status, 400);
    EXPECT_NE(refused.json().at("message").as_string().find("shunt.toml:"), json::string::npos)
        << refused.body;
    EXPECT_NE(refused.json().at("message").as_string().find("tun.mtu: must be between 1280"),
              json::string::npos)
        << refused.body;
    EXPECT_EQ(whoami(E2eTopology::kWebSite), via_b()) << "still running as before";
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(ControlApiSwitching, ARuleSetIsReadAgainOnRequestAndABadFileKeepsTheOldOne) {
    TempDir sets;
    sets.write("sites.txt", "www.e2e.test\n");
    auto o = options(", \"RULE-SET,sites,b\"");
    const std::string domain_rule = "\"DOMAIN,www.e2e.test,proxy\", ";  // the set replaces it
    o.top_level.replace(o.top_level.find(domain_rule), domain_rule.size(), "");
    o.extra_sections +=
        "[rule_sets.sites]\npath = \"" + sets.file("sites.txt") + "\"\nbehavior = \"domain\"\n";
    ShuntInNamespace shunt(topology_, o);
    shunt.start();
    ASSERT_TRUE(api_.wait_until_up()) << shunt.log();
    const auto before = api_.get("/providers/rules").json().at("providers").at("sites");
    EXPECT_EQ(before.at("behavior"), "Domain");
    EXPECT_EQ(before.at("ruleCount"), 1);
    EXPECT_EQ(before.at("vehicleType"), "File");
    EXPECT_EQ(whoami(E2eTopology::kWebSite), via_b());
    EXPECT_EQ(whoami(E2eTopology::kSecondSite), direct());

    sets.write("sites.txt", "www.e2e.test\nsecond.e2e.test\n");
    EXPECT_EQ(api_.request("PUT", "/providers/rules/sites").status, 204);
    EXPECT_EQ(api_.get("/providers/rules").json().at("providers").at("sites").at("ruleCount"), 2);
    EXPECT_EQ(whoami(E2eTopology::kSecondSite), via_b()) << "the new entry applies at once";

    sets.write("sites.txt", "www.e2e.test\n+.\n");
    const auto refused = api_.request("PUT", "/providers/rules/sites");
    EXPECT_EQ(refused.status, 503);
    EXPECT_NE(refused.json().at("message").as_string().find("sites.txt:2"), json::string::npos)
        << refused.body;
    EXPECT_EQ(api_.get("/providers/rules").json().at("providers").at("sites").at("ruleCount"), 2);
    EXPECT_EQ(whoami(E2eTopology::kSecondSite), via_b()) << "the old set stays";
    EXPECT_EQ(api_.request("PUT", "/providers/rules/nope").status, 404);
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test

// [[proxies]], [[groups]] and rule targets naming them: good files become the expected
// structs, every mistake names file:line:column and the key.
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/config_errors.hpp"

namespace shunt {
namespace {

using test::error_lines;
using test::has_error;

constexpr const char* kDns = "[dns]\nupstreams = [\"udp://127.0.0.1:5353\"]\n";

TEST(ConfigProxies, ReadsSocks5MuxAndGroupsWithRulesNamingThem) {
    test::TempDir dir;
    dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
    const std::string text = std::string(R"(rules = ["DOMAIN,a.com,home", "MATCH,auto"]
[[proxies]]
name = "home"
type = "socks5"
server = "192.168.1.2"
port = 1080
username = "u"
password = "p"
udp = true
[[proxies]]
name = "vps"
type = "mux"
server = "VPS.Example.com."
port = 443
password = "secret"
ca = "ca.pem"
carriers = 4
keepalive_interval_s = 10
keepalive_timeout_s = 30
udp = false
[[proxies]]
name = "vps-pinned"
type = "mux"
server = "203.0.113.7"
port = 8443
password = "s"
fingerprint = "ab:CD:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd"
[[groups]]
name = "auto"
type = "url-test"
proxies = ["pick", "vps"]
url = "http://[::1]:8080/probe?x=1"
interval_s = 60
timeout_ms = 2000
tolerance_ms = 100
[[groups]]
name = "pick"
type = "select"
proxies = ["home", "DIRECT", "REJECT"]
[[groups]]
name = "backup"
type = "fallback"
proxies = ["vps", "vps-pinned"]
)") + kDns;
    auto r = parse_config(text, dir.file("c.toml"));
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    const Config& c = *r.config;
    ASSERT_EQ(c.proxies.size(), 3u);
    const ProxyConfig& home = c.proxies[0];
    EXPECT_EQ(home.name, "home");
    EXPECT_EQ(home.type, ProxyType::socks5);
    EXPECT_EQ(home.server, "192.168.1.2");
    ASSERT_TRUE(home.server_address);
    EXPECT_EQ(home.port, 1080);
    EXPECT_EQ(home.socks5.username, "u");
    EXPECT_EQ(home.socks5.password, "p");
    EXPECT_TRUE(home.socks5.udp);
    EXPECT_EQ(home.position.line, 3);
    EXPECT_EQ(home.position.column, 8);

    const ProxyConfig& vps = c.proxies[1];
    EXPECT_EQ(vps.type, ProxyType::mux);
    EXPECT_EQ(vps.server, "vps.example.com");
    EXPECT_FALSE(vps.server_address);
    EXPECT_EQ(vps.mux.password, "secret");
    EXPECT_EQ(vps.mux.ca_file, dir.file("ca.pem"));
    EXPECT_FALSE(vps.mux.fingerprint);
    EXPECT_EQ(vps.mux.sni, "vps.example.com");  // defaults to the server name
    EXPECT_EQ(vps.mux.carriers, 4);
    EXPECT_EQ(vps.mux.keepalive_interval.count(), 10);
    EXPECT_EQ(vps.mux.keepalive_timeout.count(), 30);
    EXPECT_FALSE(vps.mux.udp);

    const ProxyConfig& pinned = c.proxies[2];
    ASSERT_TRUE(pinned.mux.fingerprint);
    EXPECT_EQ((*pinned.mux.fingerprint)[0], 0xab);
    EXPECT_EQ((*pinned.mux.fingerprint)[1], 0xcd);
    EXPECT_EQ((*pinned.mux.fingerprint)[31], 0xdd);
    EXPECT_EQ(pinned.mux.sni, "");  // an IP address is never sent as SNI
    EXPECT_EQ(pinned.mux.carriers, 2);
    EXPECT_EQ(pinned.mux.keepalive_interval.count(), 15);
    EXPECT_EQ(pinned.mux.keepalive_timeout.count(), 45);
    EXPECT_TRUE(pinned.mux.udp);

    ASSERT_EQ(c.groups.size(), 3u);
    const GroupConfig& autog = c.groups[0];
    EXPECT_EQ(autog.type, GroupType::url_test);
    EXPECT_EQ(autog.proxies, (std::vector<std::string>{"pick", "vps"}));
    EXPECT_EQ(autog.url.host, "::1");
    EXPECT_EQ(autog.url.port, 8080);
    EXPECT_EQ(autog.url.path, "/probe?x=1");
    EXPECT_EQ(autog.interval.count(), 60);
    EXPECT_EQ(autog.timeout.count(), 2000);
    EXPECT_EQ(autog.tolerance.count(), 100);
    EXPECT_EQ(c.groups[1].type, GroupType::select);
    EXPECT_EQ(c.groups[1].proxies.size(), 3u);
    const GroupConfig& backup = c.groups[2];
    EXPECT_EQ(backup.type, GroupType::fallback);
    EXPECT_EQ(backup.url.host, "www.gstatic.com");
    EXPECT_EQ(backup.url.port, 80);
    EXPECT_EQ(backup.url.path, "/generate_204");
    EXPECT_EQ(backup.interval.count(), 300);
    EXPECT_EQ(backup.timeout.count(), 5000);
    EXPECT_EQ(c.rules.at(0).target, "home");
    EXPECT_EQ(c.rules.at(1).target, "auto");
    EXPECT_FALSE(c.mux_server);
}

TEST(ConfigProxies, FingerprintWithoutColonsAndSocks5WithoutAuth) {
    auto r = parse_config(std::string(R"([[proxies]]
name = "a"
type = "mux"
server = "10.0.0.1"
port = 1
password = "x"
fingerprint = "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff"
sni = "front.example"
[[proxies]]
name = "b"
type = "socks5"
server = "::1"
port = 65535
)") + kDns,
                          "c.toml");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    EXPECT_EQ((*r.config->proxies[0].mux.fingerprint)[10], 0xaa);
    EXPECT_EQ(r.config->proxies[0].mux.sni, "front.example");
    EXPECT_TRUE(r.config->proxies[1].socks5.username.empty());
    EXPECT_FALSE(r.config->proxies[1].socks5.udp);
    EXPECT_EQ(r.config->proxies[1].server, "::1");
}

TEST(ConfigProxies, UnreadableCaIsAnErrorAtTheKey) {
    test::TempDir dir;
    auto r = parse_config(std::string(R"([[proxies]]
name = "a"
type = "mux"
server = "10.0.0.1"
port = 443
password = "x"
ca = "missing.pem"
)") + kDns,
                          dir.file("c.toml"));
    EXPECT_FALSE(r.config);
    EXPECT_TRUE(has_error(r, "c.toml:7:6: proxies[0].ca: cannot read \"" + dir.file("missing.pem") +
                                 "\": No such file"))
        << ::testing::PrintToString(error_lines(r));
}

TEST(ConfigProxies, CyclesAreNamed) {
    auto r = parse_config(std::string(R"([[groups]]
name = "proxy"
type = "select"
proxies = ["auto", "DIRECT"]
[[groups]]
name = "auto"
type = "fallback"
proxies = ["proxy"]
[[groups]]
name = "self"
type = "select"
proxies = ["self"]
)") + kDns,
                          "c.toml");
    EXPECT_FALSE(r.config);
    EXPECT_TRUE(has_error(r, "c.toml:8:12: groups: cycle proxy -> auto -> proxy"))
        << ::testing::PrintToString(error_lines(r));
    EXPECT_TRUE(has_error(r, "c.toml:12:12: groups: cycle self -> self"));
    EXPECT_EQ(r.errors.size(), 2u);
}

TEST(ConfigProxies, BrokenProxyIsNotAlsoAnUnknownRuleTarget) {
    auto r = parse_config(std::string(R"(rules = ["MATCH,home"]
[[proxies]]
name = "home"
type = "socks5"
server = "10.0.0.1"
port = 0
)") + kDns,
                          "c.toml");
    EXPECT_FALSE(r.config);
    ASSERT_EQ(r.errors.size(), 1u) << ::testing::PrintToString(error_lines(r));
    EXPECT_TRUE(has_error(r, "c.toml:6:8: proxies[0].port: must be between 1 and 65535"));
}

struct BadProxyConfig {
    const char* text;
    const char* expected;  // substring of one formatted error
};

class ConfigProxyErrors : public ::testing::TestWithParam<BadProxyConfig> {};

TEST_P(ConfigProxyErrors, NameFileLineColumnAndKey) {
    test::TempDir dir;
    dir.write("ca.pem", "x");
    auto r = parse_config(std::string(GetParam().text) + kDns, dir.file("c.toml"));
    EXPECT_FALSE(r.config);
    EXPECT_TRUE(has_error(r, GetParam().expected))
        << "expected \"" << GetParam().expected << "\" in "
        << ::testing::PrintToString(error_lines(r));
}

#define SOCKS "[[proxies]]\nname = \"p\"\ntype = \"socks5\"\nserver = \"10.0.0.1\"\nport = 1080\n"
#define MUX "[[proxies]]\nname = \"m\"\ntype = \"mux\"\nserver = \"10.0.0.1\"\nport = 443\n"
#define GROUP(type) "[[groups]]\nname = \"g\"\ntype = \"" type "\"\nproxies = [\"DIRECT\"]\n"

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigProxyErrors,
    ::testing::Values(
        // Names
        BadProxyConfig{"[[proxies]]\ntype = \"socks5\"\nserver = \"10.0.0.1\"\nport = 1\n",
                       "c.toml:1:1: proxies[0].name: required"},
        BadProxyConfig{SOCKS
                       "[[groups]]\nname = \"p\"\ntype = \"select\"\nproxies = [\"DIRECT\"]\n",
                       "c.toml:7:8: groups[0].name: duplicate name \"p\": already declared at "
                       "line 2"},
        BadProxyConfig{SOCKS SOCKS, "c.toml:7:8: proxies[1].name: duplicate name \"p\""},
        BadProxyConfig{
            "[[proxies]]\nname = \"GLOBAL\"\ntype = \"socks5\"\nserver = \"h\"\nport = 1\n",
            "c.toml:2:8: proxies[0].name: \"GLOBAL\" is reserved"},
        BadProxyConfig{"[[groups]]\nname = \"DIRECT\"\ntype = \"select\"\nproxies = [\"REJECT\"]\n",
                       "c.toml:2:8: groups[0].name: \"DIRECT\" is reserved"},
        BadProxyConfig{"[[proxies]]\nname = \"\"\ntype = \"socks5\"\nserver = \"h\"\nport = 1\n",
                       "c.toml:2:8: proxies[0].name: must be non-empty"},
        BadProxyConfig{"[[proxies]]\nname = \"a,b\"\ntype = \"socks5\"\nserver = \"h\"\nport = 1\n",
                       "c.toml:2:8: proxies[0].name: must be non-empty, without commas"},
        BadProxyConfig{"proxies = 1\n", "c.toml:1:11: proxies: expected an array of tables"},
        // Common keys
        BadProxyConfig{"[[proxies]]\nname = \"p\"\nserver = \"h\"\nport = 1\n",
                       "c.toml:1:1: proxies[0].type: required"},
        BadProxyConfig{"[[proxies]]\nname = \"p\"\ntype = \"http\"\nserver = \"h\"\nport = 1\n",
                       "c.toml:3:8: proxies[0].type: expected \"socks5\" or \"mux\""},
        BadProxyConfig{"[[proxies]]\nname = \"p\"\ntype = \"socks5\"\nport = 1\n",
                       "c.toml:1:1: proxies[0].server: required"},
        BadProxyConfig{"[[proxies]]\nname = \"p\"\ntype = \"socks5\"\nserver = \"1.2.3.300\"\n"
                       "port = 1\n",
                       "c.toml:4:10: proxies[0].server: expected an IP address or a host name"},
        BadProxyConfig{"[[proxies]]\nname = \"p\"\ntype = \"socks5\"\nserver = \"a b\"\nport = 1\n",
                       "c.toml:4:10: proxies[0].server: expected an IP address or a host name"},
        BadProxyConfig{"[[proxies]]\nname = \"p\"\ntype = \"socks5\"\nserver = \"h\"\n",
                       "c.toml:1:1: proxies[0].port: required"},
        BadProxyConfig{"[[proxies]]\nname = \"p\"\ntype = \"socks5\"\nserver = \"h\"\n"
                       "port = 70000\n",
                       "c.toml:5:8: proxies[0].port: must be between 1 and 65535"},
        BadProxyConfig{SOCKS "colour = 1\n", "c.toml:6:1: proxies[0].colour: unknown key"},
        // socks5
        BadProxyConfig{SOCKS "username = \"u\"\n",
                       "c.toml:6:12: proxies[0].username: username and password go together"},
        BadProxyConfig{SOCKS "password = \"p\"\n",
                       "c.toml:6:12: proxies[0].password: username and password go together"},
        BadProxyConfig{SOCKS "username = \"\"\npassword = \"p\"\n",
                       "c.toml:6:12: proxies[0].username: must be 1 to 255 bytes (RFC 1929)"},
        BadProxyConfig{SOCKS "udp = \"yes\"\n", "c.toml:6:7: proxies[0].udp: expected true"},
        BadProxyConfig{SOCKS "fingerprint = \"00\"\n",
                       "c.toml:6:15: proxies[0].fingerprint: only for type = \"mux\" proxies"},
        BadProxyConfig{SOCKS "carriers = 2\n",
                       "c.toml:6:12: proxies[0].carriers: only for type = \"mux\" proxies"},
        // mux
        BadProxyConfig{MUX, "c.toml:1:1: proxies[0].password: required"},
        BadProxyConfig{MUX "password = \"\"\n",
                       "c.toml:6:12: proxies[0].password: must not be empty"},
        BadProxyConfig{MUX "password = \"x\"\nusername = \"u\"\n",
                       "c.toml:7:12: proxies[0].username: only for type = \"socks5\" proxies"},
        BadProxyConfig{MUX "password = \"x\"\nfingerprint = \"abcd\"\n",
                       "c.toml:7:15: proxies[0].fingerprint: expected the SHA-256"},
        BadProxyConfig{MUX "password = \"x\"\nfingerprint = "
                           "\"0011223344556677889900112233445566778899001122334455667788990g\"\n",
                       "c.toml:7:15: proxies[0].fingerprint: expected the SHA-256"},
        BadProxyConfig{MUX "password = \"x\"\nfingerprint = "
                           "\"00:11:22:33:44:55:66:77:88:99:00:11:22:33:44:55:66:77:88:99:00:11:"
                           "22:33:44:55:66:77:88:99:00:1122\"\n",
                       "c.toml:7:15: proxies[0].fingerprint: expected the SHA-256"},
        BadProxyConfig{MUX "password = \"x\"\nca = \"ca.pem\"\nfingerprint = "
                           "\"00112233445566778899001122334455667788990011223344556677889900aa\"\n",
                       "c.toml:8:15: proxies[0].fingerprint: set `ca` or `fingerprint`, not both"},
        BadProxyConfig{MUX "password = \"x\"\nca = \"\"\n",
                       "c.toml:7:6: proxies[0].ca: must name a PEM file"},
        BadProxyConfig{MUX "password = \"x\"\nsni = \"10.0.0.1\"\n",
                       "c.toml:7:7: proxies[0].sni: expected a host name"},
        BadProxyConfig{MUX "password = \"x\"\ncarriers = 17\n",
                       "c.toml:7:12: proxies[0].carriers: must be between 1 and 16"},
        BadProxyConfig{MUX "password = \"x\"\nkeepalive_timeout_s = 15\n",
                       "c.toml:7:23: proxies[0].keepalive_timeout_s: keepalive_timeout_s (15) "
                       "must be greater than keepalive_interval_s (15)"},
        BadProxyConfig{MUX "password = \"x\"\nkeepalive_interval_s = 60\n",
                       "c.toml:7:24: proxies[0].keepalive_interval_s: keepalive_timeout_s (45) "
                       "must be greater"},
        // groups
        BadProxyConfig{"[[groups]]\nname = \"g\"\nproxies = [\"DIRECT\"]\n",
                       "c.toml:1:1: groups[0].type: required"},
        BadProxyConfig{
            "[[groups]]\nname = \"g\"\ntype = \"load-balance\"\nproxies = [\"DIRECT\"]\n",
            "c.toml:3:8: groups[0].type: expected \"select\", \"url-test\" or "
            "\"fallback\""},
        BadProxyConfig{"[[groups]]\nname = \"g\"\ntype = \"select\"\n",
                       "c.toml:1:1: groups[0].proxies: required"},
        BadProxyConfig{"[[groups]]\nname = \"g\"\ntype = \"select\"\nproxies = []\n",
                       "c.toml:4:11: groups[0].proxies: the list is empty"},
        BadProxyConfig{"[[groups]]\nname = \"g\"\ntype = \"select\"\nproxies = [\"DIRECT\", "
                       "\"nowhere\"]\n",
                       "c.toml:4:22: groups[0].proxies[1]: unknown member \"nowhere\""},
        BadProxyConfig{"[[groups]]\nname = \"g\"\ntype = \"select\"\nproxies = [\"GLOBAL\"]\n",
                       "c.toml:4:12: groups[0].proxies[0]: unknown member \"GLOBAL\""},
        BadProxyConfig{"[[groups]]\nname = \"g\"\ntype = \"select\"\nproxies = [\"DIRECT\", "
                       "\"DIRECT\"]\n",
                       "c.toml:4:22: groups[0].proxies[1]: \"DIRECT\" is listed twice"},
        BadProxyConfig{GROUP("select") "url = \"http://a.example/\"\n",
                       "c.toml:5:7: groups[0].url: only for url-test and fallback groups"},
        BadProxyConfig{GROUP("select") "interval_s = 5\n",
                       "c.toml:5:14: groups[0].interval_s: only for url-test and fallback"},
        BadProxyConfig{GROUP("fallback") "tolerance_ms = 5\n",
                       "c.toml:5:16: groups[0].tolerance_ms: only for url-test groups"},
        BadProxyConfig{GROUP("url-test") "url = \"ftp://a.example/\"\n",
                       "c.toml:5:7: groups[0].url: must be an http:// or https:// URL"},
        BadProxyConfig{GROUP("url-test") "url = \"https://u@a.example/\"\n",
                       "c.toml:5:7: groups[0].url: expected https://HOST[:PORT][/PATH]"},
        BadProxyConfig{GROUP("url-test") "url = \"http://:80/\"\n",
                       "c.toml:5:7: groups[0].url: expected http://HOST[:PORT][/PATH]"},
        BadProxyConfig{GROUP("url-test") "url = \"http://a.example:0/\"\n",
                       "c.toml:5:7: groups[0].url: the port must be 1..65535"},
        BadProxyConfig{GROUP("url-test") "url = \"http://a.example:/\"\n",
                       "c.toml:5:7: groups[0].url: the port must be 1..65535"},
        BadProxyConfig{GROUP("url-test") "url = \"http://u@a.example/\"\n",
                       "c.toml:5:7: groups[0].url: expected http://HOST[:PORT][/PATH]"},
        BadProxyConfig{GROUP("url-test") "url = \"http://bad_host!/\"\n",
                       "c.toml:5:7: groups[0].url: \"bad_host!\" is neither an IP address"},
        BadProxyConfig{GROUP("url-test") "interval_s = 0\n",
                       "c.toml:5:14: groups[0].interval_s: must be between 1 and 86400"},
        BadProxyConfig{GROUP("url-test") "probe = 1\n", "c.toml:5:1: groups[0].probe: unknown key"},
        // rule targets
        BadProxyConfig{"rules = [\"MATCH,GLOBAL\"]\n",
                       "c.toml:1:11: rules[0]: unknown target \"GLOBAL\""}));

#undef SOCKS
#undef MUX
#undef GROUP

TEST(ConfigProxies, GroupMembersMayComeLaterAndRulesEarlier) {
    auto r = parse_config(std::string(R"(rules = ["DOMAIN,a.com,outer", "MATCH,inner"]
[[groups]]
name = "outer"
type = "select"
proxies = ["inner"]
[[groups]]
name = "inner"
type = "fallback"
proxies = ["late", "DIRECT"]
[[proxies]]
name = "late"
type = "socks5"
server = "proxy.lan"
port = 1080
)") + kDns,
                          "c.toml");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    EXPECT_EQ(r.config->proxies[0].server, "proxy.lan");
    EXPECT_EQ(r.config->groups[0].proxies[0], "inner");
}

}  // namespace
}  // namespace shunt

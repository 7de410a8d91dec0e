#include "config/config_loader.hpp"
#include "tests/support/config_errors.hpp"
#include "tests/support/section_spec_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace shunt {
namespace {

using test::error_lines;
using test::has_error;

TEST(ConfigLoader, DefaultsNeedOnlyUpstreams) {
    auto r = parse_config("[dns]\nupstreams = [\"udp://127.0.0.1:5353\"]\n", "/etc/shunt/c.toml");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    const auto& dns = r.config->dns;
    EXPECT_EQ(r.config->log.level, LogLevel::info);
    EXPECT_EQ(dns.listen.at(0).to_string(), "127.0.0.1:1053");
    EXPECT_EQ(dns.mode, DnsMode::fake_ip);
    EXPECT_EQ(dns.fake_ip_range.to_string(), "198.18.0.0/15");
    EXPECT_FALSE(dns.fake_ip_range6);
    EXPECT_EQ(dns.fake_ip_ttl, 1u);
    EXPECT_TRUE(dns.fake_ip_filter_default);
    EXPECT_EQ(dns.upstreams.at(0).port, 5353);
}

TEST(ConfigLoader, ReadsTunWithDefaultsFromTheFakeIpRanges) {
    auto r = parse_config(R"([dns]
upstreams = ["udp://127.0.0.1"]
fake_ip_range = "10.8.0.0/16"
fake_ip_range6 = "fd00:18::/64"
[tun]
enable = true
name = "tun-x"
mtu = 1500
auto_route = true
routing_mark = 7
dns_hijack = ["any:53", "10.8.0.1:5353"]
lan_interfaces = ["br-lan"]
max_tcp_flows = 100
tcp_idle_timeout_s = 30
)",
                          "/etc/shunt/c.toml");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    const TunConfig& tun = r.config->tun;
    EXPECT_TRUE(tun.enable);
    EXPECT_EQ(tun.name, "tun-x");
    EXPECT_EQ(tun.mtu, 1500);
    EXPECT_EQ(tun.address.address.to_string(), "10.8.0.1");
    EXPECT_EQ(tun.address.prefix_length, 16);
    ASSERT_TRUE(tun.address6);
    EXPECT_EQ(tun.address6->address.to_string(), "fd00:18::1");
    EXPECT_TRUE(tun.auto_route);
    EXPECT_EQ(tun.routing_mark, 7u);
    ASSERT_EQ(tun.dns_hijack.size(), 3u);
    EXPECT_EQ(tun.dns_hijack[1].to_string(), "[::]:53");
    EXPECT_EQ(tun.lan_interfaces.at(0), "br-lan");
    EXPECT_EQ(tun.max_tcp_flows, 100u);
    EXPECT_EQ(tun.tcp_idle_timeout.count(), 30);

    auto defaults = parse_config("[dns]\nupstreams = [\"udp://127.0.0.1\"]\n", "c.toml");
    ASSERT_TRUE(defaults.config);
    EXPECT_FALSE(defaults.config->tun.enable);
    EXPECT_EQ(defaults.config->tun.address.address.to_string(), "198.18.0.1");
    EXPECT_EQ(defaults.config->tun.mtu, 9000);
}

TEST(ConfigLoader, ExamplesAreValid) {
    for (const char* name : {"full.toml", "quickstart.toml", "mux-server.toml"}) {
        auto r = load_config(std::string(SHUNT_SOURCE_DIR) + "/examples/" + name);
        EXPECT_TRUE(r.config) << name << ": " << ::testing::PrintToString(error_lines(r));
    }
}

TEST(ConfigLoader, ReadsEveryDnsKey) {
    auto r = parse_config(R"(
[log]
level = "debug"
[dns]
listen = ["127.0.0.1:53", "[::1]:5300"]
mode = "redir-host"
fake_ip_range = "10.8.0.0/16"
fake_ip_range6 = "fd00:18::/64"
fake_ip_ttl = 5
fake_ip_store = "pool.db"
fake_ip_filter_default = false
fake_ip_filter = ["+.lan", "time.*.com", "exact.example"]
upstreams = ["udp://127.0.0.1", "tls://dns.example@127.0.0.2", "https://127.0.0.3:8443/q"]
bootstrap = ["tcp://127.0.0.9"]
upstream_timeout_ms = 1500
cache_size = 10
tcp_idle_timeout_ms = 2000
[dns.nameserver_policy]
"+.corp.example" = "udp://10.0.0.53"
"+.example.cn" = ["udp://223.5.5.5", "tcp://223.6.6.6"]
[dns.hosts]
"Router.LAN" = "192.168.1.1"
"nas.lan" = ["192.168.1.2", "fd00::2"]
)",
                          "/etc/shunt/c.toml");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    const auto& dns = r.config->dns;
    EXPECT_EQ(r.config->log.level, LogLevel::debug);
    ASSERT_EQ(dns.listen.size(), 2u);
    EXPECT_EQ(dns.listen[1].to_string(), "[::1]:5300");
    EXPECT_EQ(dns.mode, DnsMode::redir_host);
    EXPECT_EQ(dns.fake_ip_range6->to_string(), "fd00:18::/64");
    EXPECT_EQ(dns.fake_ip_store, "/etc/shunt/pool.db");  // relative to the file
    EXPECT_EQ(dns.fake_ip_filter.size(), 3u);
    EXPECT_EQ(dns.upstreams[1].tls_name, "dns.example");
    EXPECT_EQ(dns.upstreams[2].path, "/q");
    EXPECT_EQ(dns.upstream_timeout.count(), 1500);
    ASSERT_EQ(dns.nameserver_policy.size(), 2u);
    EXPECT_EQ(dns.nameserver_policy[1].second.size(), 2u);
    ASSERT_EQ(dns.hosts.size(), 2u);
    EXPECT_EQ(dns.hosts[0].name, "router.lan");  // normalised
    EXPECT_EQ(dns.hosts[1].addresses.size(), 2u);
}

struct BadConfig {
    const char* text;
    const char* expected;  // substring of one formatted error
};

class ConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrors, NameFileLineColumnAndKey) {
    auto r = parse_config(GetParam().text, "c.toml");
    EXPECT_FALSE(r.config);
    EXPECT_TRUE(has_error(r, GetParam().expected))
        << "expected \"" << GetParam().expected << "\" in "
        << ::testing::PrintToString(error_lines(r));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigErrors,
    ::testing::Values(
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\nfake_ip_rnage = \"10.0.0.0/8\"\n",
                  "c.toml:3:1: dns.fake_ip_rnage: unknown key"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\nfake_ip_range = \"198.18.0.0/33\"\n",
                  "c.toml:3:17: dns.fake_ip_range: expected an IPv4 CIDR"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\nfake_ip_ttl = \"1\"\n",
                  "c.toml:3:15: dns.fake_ip_ttl: expected an integer, found a string"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\", \"quic://1.1.1.1\"]\n",
                  "c.toml:2:31: dns.upstreams[1]: unknown upstream scheme \"quic\""},
        BadConfig{"[dns]\nupstreams = [\"udp://dns.google\"]\n",
                  "dns.upstreams[0]: udp:// and tcp:// upstreams need an IP address"},
        BadConfig{"[dns]\nupstreams = [\"tls://dns.example\"]\n",
                  "dns.bootstrap: upstream tls://dns.example names a host"},
        BadConfig{"[log]\nlevel = \"loud\"\n[dns]\nupstreams = [\"udp://1.1.1.1\"]\n",
                  "c.toml:2:9: log.level: expected trace"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\nmode = \"fake\"\n",
                  "dns.mode: expected \"fake-ip\" or \"redir-host\""},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\nlisten = [\"localhost:53\"]\n",
                  "c.toml:3:11: dns.listen[0]: expected ADDRESS:PORT"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\nfake_ip_filter = [\"+.*.com\"]\n",
                  "dns.fake_ip_filter[0]: '*' cannot be combined"},
        BadConfig{
            "[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[dns.hosts]\n\"a.lan\" = \"300.1.1.1\"\n",
            "c.toml:4:11: dns.hosts.a.lan: expected an IP address"},
        BadConfig{
            "[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[dns.nameserver_policy]\n\"+.cn\" = []\n",
            "dns.nameserver_policy.+.cn: needs at least one upstream"},
        BadConfig{
            "[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[dns.split]\ndomestic = [\"udp://1.1.1.1\"]\n",
            "dns.split.foreign: required"},
        BadConfig{"[dns]\n", "dns.upstreams: at least one upstream is needed"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[api]\nlisten = \"0.0.0.0:9090\"\n",
                  "c.toml:3:1: api.secret: required when listen (0.0.0.0:9090) is not a loopback"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[tun]\nmtu = 100\n",
                  "c.toml:4:7: tun.mtu: must be between 1280 and 65535"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[tun]\naddress = \"10.0.0.1/8\"\n",
                  "c.toml:4:11: tun.address: must be inside dns.fake_ip_range"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[tun]\naddress = \"198.18.0.1\"\n",
                  "tun.address: expected an IPv4 address with prefix length"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[tun]\nname = \"a-very-long-name-0\"\n",
                  "tun.name: an interface name of 1 to 15 characters"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[tun]\ndns_hijack = [\"any:x\"]\n",
                  "c.toml:4:15: tun.dns_hijack[0]: expected ADDRESS:PORT or any:PORT"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[tun]\nauto_rout = true\n",
                  "c.toml:4:1: tun.auto_rout: unknown key"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\nfake_ip_ttl = -1\n",
                  "dns.fake_ip_ttl: must be between 0 and 86400"},
        BadConfig{"[dns\nupstreams = 1\n", "c.toml:1:"},
        BadConfig{"colour = 1\n[dns]\nupstreams = [\"udp://1.1.1.1\"]\n",
                  "c.toml:1:1: colour: unknown key"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[[groups]]\nname = \"g\"\n"
                  "type = \"select\"\nproxies = [\"DIRECT\"]\nrules = [\"MATCH,g\"]\n",
                  "c.toml:7:1: groups[0].rules: unknown key; \"rules\" is a top-level key, but it "
                  "is written below the [[groups]] header, so TOML puts it in that table: move "
                  "it above the file's first [table] header"},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\nmode = \"global\"\n",
                  "dns.mode: expected \"fake-ip\" or \"redir-host\""},
        BadConfig{"[dns]\nupstreams = [\"udp://1.1.1.1\"]\n[tun]\nmode = \"global\"\n",
                  "c.toml:4:1: tun.mode: unknown key; \"mode\" is a top-level key, but it is "
                  "written below the [tun] header"}));

TEST(ConfigLoader, ReportsEveryErrorAtOnce) {
    auto r = parse_config(R"([dns]
upstreams = ["bogus"]
fake_ip_range = "nope"
fake_ip_ttl = true
typo = 1
[log]
level = 3
)",
                          "c.toml");
    EXPECT_FALSE(r.config);
    EXPECT_EQ(r.errors.size(), 5u) << ::testing::PrintToString(error_lines(r));
}

TEST(ConfigLoader, MissingFileIsAnError) {
    auto r = load_config("/nonexistent/shunt.toml");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].format().find("cannot read the config file: No such file or directory"), std::string::npos);
}

TEST(LogSectionSpec, FullTomlShowsTheLevelWithItsDefault) {
    const std::string path = std::string(SHUNT_SOURCE_DIR) + "/examples/full.toml";
    const auto full = load_config(path);
    ASSERT_TRUE(full.config) << ::testing::PrintToString(error_lines(full));
    test::expect_example_shows_every_key(log_section_spec(), path, "[log]", full.config->log,
                                         LogConfig{});
}

}  // namespace
}  // namespace shunt

// [mux_server]: the file `shunt mux-server` reads. It needs neither [tun] nor rules, and
// its certificate and key must be readable when the file is loaded.
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "config/config_mux_server_reader.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/config_errors.hpp"
#include "tests/support/section_spec_check.hpp"

namespace shunt {
namespace {

using test::error_lines;
using test::has_error;

class ConfigMuxServer : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_.write("server.crt", "-----BEGIN CERTIFICATE-----\n");
        dir_.write("server.key", "-----BEGIN PRIVATE KEY-----\n");
    }
    ConfigLoadResult parse(const std::string& text) {
        return parse_config(text, dir_.file("server.toml"));
    }
    test::TempDir dir_;
};

TEST_F(ConfigMuxServer, ReadsEveryKeyWithoutTunOrRules) {
    auto r = parse(R"([log]
level = "warn"
[mux_server]
listen = ["0.0.0.0:8443", "[::]:8443"]
password = "secret"
cert = "server.crt"
key = "server.key"
connect_timeout_ms = 5000
max_streams_per_carrier = 100
max_carriers = 8
keepalive_interval_s = 10
keepalive_timeout_s = 40
allow_private_targets = true
deny_targets = ["203.0.113.0/24", "2001:db8::/32", "::ffff:192.0.2.1"]
)");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    ASSERT_TRUE(r.config->mux_server);
    const MuxServerConfig& s = *r.config->mux_server;
    ASSERT_EQ(s.listen.size(), 2u);
    EXPECT_EQ(s.listen[1].to_string(), "[::]:8443");
    EXPECT_EQ(s.password, "secret");
    EXPECT_EQ(s.cert_file, dir_.file("server.crt"));  // relative to the file
    EXPECT_EQ(s.key_file, dir_.file("server.key"));
    EXPECT_EQ(s.connect_timeout.count(), 5000);
    EXPECT_EQ(s.max_streams_per_carrier, 100u);
    EXPECT_EQ(s.max_carriers, 8u);
    EXPECT_EQ(s.keepalive_interval.count(), 10);
    EXPECT_EQ(s.keepalive_timeout.count(), 40);
    EXPECT_TRUE(s.allow_private_targets);
    ASSERT_EQ(s.deny_targets.size(), 3u);
    EXPECT_EQ(s.deny_targets[1].to_string(), "2001:db8::/32");
    EXPECT_EQ(s.deny_targets[2].to_string(), "192.0.2.1/32");  // IPv4-mapped means IPv4
    EXPECT_EQ(s.position.line, 3);
    EXPECT_EQ(r.config->log.level, LogLevel::warn);
}

TEST_F(ConfigMuxServer, Defaults) {
    auto r = parse(R"([mux_server]
listen = "127.0.0.1:9443"
password = "p"
cert = "server.crt"
key = "server.key"
[dns]
upstreams = ["udp://127.0.0.1"]
)");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    const MuxServerConfig& s = *r.config->mux_server;
    EXPECT_EQ(s.connect_timeout.count(), 10000);
    EXPECT_EQ(s.max_streams_per_carrier, 1024u);
    EXPECT_EQ(s.max_carriers, 256u);
    EXPECT_EQ(s.keepalive_interval.count(), 30);
    EXPECT_EQ(s.keepalive_timeout.count(), 120);
    EXPECT_FALSE(s.allow_private_targets);
    EXPECT_TRUE(s.deny_targets.empty());
}

struct BadServer {
    const char* text;
    const char* expected;
};

class ConfigMuxServerErrors : public ConfigMuxServer,
                              public ::testing::WithParamInterface<BadServer> {};

TEST_P(ConfigMuxServerErrors, NameFileLineColumnAndKey) {
    auto r = parse(GetParam().text);
    EXPECT_FALSE(r.config);
    EXPECT_TRUE(has_error(r, GetParam().expected))
        << "expected \"" << GetParam().expected << "\" in "
        << ::testing::PrintToString(error_lines(r));
}

#define LISTEN "[mux_server]\nlisten = [\"0.0.0.0:443\"]\n"
#define KEYS "password = \"p\"\ncert = \"server.crt\"\nkey = \"server.key\"\n"

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigMuxServerErrors,
    ::testing::Values(
        BadServer{LISTEN "password = \"p\"\nkey = \"server.key\"\n",
                  "server.toml:1:1: mux_server.cert: required"},
        BadServer{LISTEN "password = \"p\"\ncert = \"server.crt\"\n",
                  "server.toml:1:1: mux_server.key: required"},
        BadServer{LISTEN "password = \"p\"\ncert = \"nope.crt\"\nkey = \"server.key\"\n",
                  "server.toml:4:8: mux_server.cert: cannot read"},
        BadServer{LISTEN "password = \"p\"\ncert = \"server.crt\"\nkey = \".\"\n",
                  "server.toml:5:7: mux_server.key: cannot read"},
        BadServer{LISTEN "cert = \"server.crt\"\nkey = \"server.key\"\n",
                  "server.toml:1:1: mux_server.password: required"},
        BadServer{LISTEN "password = \"\"\ncert = \"server.crt\"\nkey = \"server.key\"\n",
                  "server.toml:3:12: mux_server.password: must not be empty"},
        BadServer{"[mux_server]\n" KEYS, "server.toml:1:1: mux_server.listen: required"},
        BadServer{"[mux_server]\nlisten = []\n" KEYS,
                  "server.toml:2:10: mux_server.listen: the list is empty"},
        BadServer{"[mux_server]\nlisten = [\"0.0.0.0\"]\n" KEYS,
                  "server.toml:2:11: mux_server.listen[0]: expected ADDRESS:PORT"},
        BadServer{"[mux_server]\nlisten = [\"vps.example:443\"]\n" KEYS,
                  "server.toml:2:11: mux_server.listen[0]: expected ADDRESS:PORT"},
        BadServer{LISTEN KEYS "max_streams_per_carrier = 70000\n",
                  "server.toml:6:27: mux_server.max_streams_per_carrier: must be between 1 and "
                  "65535"},
        BadServer{LISTEN KEYS "connect_timeout_ms = 1\n",
                  "server.toml:6:22: mux_server.connect_timeout_ms: must be between 100"},
        BadServer{LISTEN KEYS "ca = \"x\"\n", "server.toml:6:1: mux_server.ca: unknown key"},
        BadServer{LISTEN KEYS "deny_targets = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n",
                  "server.toml:6:31: mux_server.deny_targets[1]: expected an address or CIDR"},
        BadServer{LISTEN KEYS "deny_targets = \"vps.example\"\n",
                  "server.toml:6:16: mux_server.deny_targets: expected an address or CIDR"},
        BadServer{LISTEN KEYS "allow_private_targets = \"yes\"\n",
                  "server.toml:6:25: mux_server.allow_private_targets: expected true or false"},
        BadServer{LISTEN KEYS "keepalive_interval_s = 0\n",
                  "server.toml:6:24: mux_server.keepalive_interval_s: must be between 1 and 3600"},
        BadServer{LISTEN KEYS "keepalive_timeout_s = 30\n",
                  "server.toml:6:23: mux_server.keepalive_timeout_s: keepalive_timeout_s (30 s) "
                  "must be longer than keepalive_interval_s (30 s)"},
        BadServer{LISTEN KEYS "keepalive_interval_s = 200\n",
                  "server.toml:6:24: mux_server.keepalive_interval_s: keepalive_timeout_s (120 "
                  "s) must be longer than keepalive_interval_s (200 s)"},
        BadServer{"mux_server = 1\n", "server.toml:1:14: mux_server: expected a table"}));

#undef LISTEN
#undef KEYS

TEST(MuxServerSectionSpec, TheExampleShowsEveryKeyWithItsDefault) {
    const std::string path = std::string(SHUNT_SOURCE_DIR) + "/examples/mux-server.toml";
    const auto example = load_config(path);
    ASSERT_TRUE(example.config) << ::testing::PrintToString(error_lines(example));
    test::expect_example_shows_every_key(mux_server_section_spec(), path, "[mux_server]",
                                         *example.config->mux_server, MuxServerConfig{});
}

TEST_F(ConfigMuxServer, RangesAreEnforced) {
    const std::string server =
        "[mux_server]\nlisten = [\"0.0.0.0:8443\"]\npassword = \"s\"\ncert = \"" +
        dir_.file("server.crt") + "\"\nkey = \"" + dir_.file("server.key") + "\"\n";
    test::expect_ranges_enforced(mux_server_section_spec(), "mux_server.",
                                 [&](const std::string& key, std::int64_t value) {
                                     return server + key + " = " + std::to_string(value) + "\n";
                                 });
}

}  // namespace
}  // namespace shunt

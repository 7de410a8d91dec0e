// [api]: where the control API listens and the security floor (docs/api.md §1.2).
#include <gtest/gtest.h>

#include "config/config_api_reader.hpp"
#include "config/config_loader.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/config_errors.hpp"
#include "tests/support/section_spec_check.hpp"

namespace shunt {
namespace {

using test::error_lines;
using test::has_error;

constexpr const char* kDns = "[dns]\nupstreams = [\"udp://1.1.1.1\"]\n";

class ConfigApi : public ::testing::Test {
  protected:
    ConfigLoadResult parse(const std::string& api) {
        return parse_config(std::string(kDns) + "[api]\n" + api, dir_.file("c.toml"));
    }
    test::TempDir dir_;
};

TEST_F(ConfigApi, AbsentMeansOffAndAnEmptySectionListensOnLoopback9090) {
    auto none = parse_config(kDns, "c.toml");
    ASSERT_TRUE(none.config);
    EXPECT_FALSE(none.config->api);
    auto empty = parse("");
    ASSERT_TRUE(empty.config) << ::testing::PrintToString(error_lines(empty));
    ASSERT_TRUE(empty.config->api);
    EXPECT_EQ(empty.config->api->listen->to_string(), "127.0.0.1:9090");
    EXPECT_EQ(empty.config->api->secret, "");
    EXPECT_EQ(empty.config->api->max_connections, 64u);
}

TEST_F(ConfigApi, ReadsEveryKey) {
    std::filesystem::create_directory(dir_.file("ui"));
    auto r = parse(R"(listen = "[::]:9091"
unix = "api.sock"
secret = "s3"
allow_origins = ["http://router.lan:8080", "https://yacd.example"]
external_ui = "ui"
max_connections = 8
)");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    const auto& api = *r.config->api;
    EXPECT_EQ(api.listen->to_string(), "[::]:9091");
    EXPECT_EQ(api.unix_socket, dir_.file("api.sock"));
    EXPECT_EQ(api.secret, "s3");
    EXPECT_EQ(api.allow_origins,
              (std::vector<std::string>{"http://router.lan:8080", "https://yacd.example"}));
    EXPECT_EQ(api.external_ui, std::filesystem::canonical(dir_.file("ui")).string());
    EXPECT_EQ(api.max_connections, 8u);
}

TEST_F(ConfigApi, EmptyListenTurnsTheTcpListenerOff) {
    auto r = parse("listen = \"\"\nunix = \"/run/api.sock\"\n");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    EXPECT_FALSE(r.config->api->listen);
}

TEST_F(ConfigApi, LoopbackListensNeedNoSecret) {
    for (const char* listen : {"127.0.0.1:9090", "127.0.0.53:80", "[::1]:9090"}) {
        auto r = parse(std::string("listen = \"") + listen + "\"\n");
        EXPECT_TRUE(r.config) << listen << ::testing::PrintToString(error_lines(r));
    }
}

struct BadApi {
    std::string text;
    std::string error;
};

class ConfigApiErrors : public ConfigApi, public ::testing::WithParamInterface<BadApi> {};

TEST_P(ConfigApiErrors, PointsAtTheKey) {
    auto r = parse(GetParam().text);
    EXPECT_FALSE(r.config);
    EXPECT_TRUE(has_error(r, GetParam().error))
        << GetParam().error << " not in " << ::testing::PrintToString(error_lines(r));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigApiErrors,
    ::testing::Values(
        // The security floor: reachable from other machines means a secret.
        BadApi{"listen = \"0.0.0.0:9090\"\n",
               "c.toml:3:1: api.secret: required when listen (0.0.0.0:9090) is not a loopback "
               "address"},
        BadApi{"listen = \"[::]:9090\"\nsecret = \"\"\n",
               "c.toml:5:10: api.secret: required when listen ([::]:9090)"},
        BadApi{"listen = \"192.168.1.1:9090\"\n", "api.secret: required when listen"},
        BadApi{"listen = \"localhost:9090\"\n",
               "c.toml:4:10: api.listen: expected ADDRESS:PORT such as 127.0.0.1:9090"},
        BadApi{"listen = 9090\n", "c.toml:4:10: api.listen: expected a string"},
        BadApi{"unix = \"\"\n", "api.unix: must name a socket path"},
        BadApi{"unix = \"/" + std::string(120, 'a') + "\"\n", "longer than a unix socket address"},
        BadApi{"allow_origins = [\"router.lan\"]\n",
               "c.toml:4:18: api.allow_origins[0]: expected an origin such as "
               "http://router.lan:8080"},
        BadApi{"allow_origins = [\"http://a.lan/\"]\n", "api.allow_origins[0]: expected an origin"},
        BadApi{"allow_origins = [\"http://\"]\n", "api.allow_origins[0]: expected an origin"},
        BadApi{"external_ui = \"/nonexistent/ui\"\n",
               "api.external_ui: \"/nonexistent/ui\" is not a directory"},
        BadApi{"max_connections = 0\n", "api.max_connections: must be between 1 and 10000"},
        BadApi{"secert = \"x\"\n", "c.toml:4:1: api.secert: unknown key"}));

TEST(ConfigApiTable, NotATableIsAnError) {
    auto r = parse_config(std::string(kDns) + "api = 1\n", "c.toml");
    EXPECT_FALSE(r.config);
}

TEST(ApiSectionSpec, TheExampleShowsEveryKeyWithItsDefault) {
    const std::string path = std::string(SHUNT_SOURCE_DIR) + "/examples/full.toml";
    const auto full = load_config(path);
    ASSERT_TRUE(full.config) << ::testing::PrintToString(error_lines(full));
    ASSERT_TRUE(full.config->api);
    test::expect_example_shows_every_key(api_section_spec(), path, "[api]", *full.config->api,
                                         ApiConfig{});
    test::expect_every_key_documented(api_section_spec(), ApiConfig{});
}

TEST(ApiSectionSpec, RangesAreEnforced) {
    test::expect_ranges_enforced(
        api_section_spec(), "api.", [](const std::string& key, std::int64_t value) {
            return std::string(kDns) + "[api]\n" + key + " = " + std::to_string(value) + "\n";
        });
}

TEST(ApiSectionSpec, LogsNeverShowTheSecret) {
    ApiConfig api;
    api.secret = "hunter2";
    const auto* key = api_section_spec().find("secret");
    ASSERT_TRUE(key && key->show);
    EXPECT_EQ(key->show(api).find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace shunt

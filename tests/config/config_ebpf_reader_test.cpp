// [ebpf]: the bypass's keys and the checks across sections.
#include <gtest/gtest.h>

#include "config/config_ebpf_reader.hpp"
#include "config/config_loader.hpp"
#include "tests/support/config_errors.hpp"
#include "tests/support/section_spec_check.hpp"

namespace shunt {
namespace {

using test::error_lines;
using test::has_error;

constexpr const char* kDns = "[dns]\nupstreams = [\"udp://1.1.1.1\"]\n";

ConfigLoadResult parse(const std::string& tun, const std::string& ebpf) {
    return parse_config(std::string(kDns) + "[tun]\n" + tun + "[ebpf]\n" + ebpf, "c.toml");
}

TEST(ConfigEbpf, OffUnlessEnabled) {
    auto none = parse_config(kDns, "c.toml");
    ASSERT_TRUE(none.config);
    EXPECT_FALSE(none.config->ebpf.enable);
    EXPECT_EQ(none.config->ebpf, EbpfConfig{});
}

TEST(ConfigEbpf, RouterAndDesktop) {
    auto router = parse("enable = true\nlan_interfaces = [\"br-lan\"]\n",
                        "enable = true\nflow_table_size = 262144\n");
    ASSERT_TRUE(router.config) << ::testing::PrintToString(error_lines(router));
    EXPECT_TRUE(router.config->ebpf.enable);
    EXPECT_EQ(router.config->ebpf.flow_table_size, 262144u);
    auto desktop =
        parse("enable = true\nauto_route = true\n",
              "enable = true\nrequired = true\ncgroup = \"/sys/fs/cgroup/user.slice\"\n");
    ASSERT_TRUE(desktop.config) << ::testing::PrintToString(error_lines(desktop));
    EXPECT_TRUE(desktop.config->ebpf.required);
    EXPECT_EQ(desktop.config->ebpf.cgroup, "/sys/fs/cgroup/user.slice");
}

TEST(ConfigEbpf, ErrorsNameTheLineAndKey) {
    auto no_tun = parse("enable = false\n", "enable = true\n");
    EXPECT_TRUE(has_error(no_tun, "c.toml:6:10: ebpf.enable: the bypass works beside the TUN"))
        << ::testing::PrintToString(error_lines(no_tun));
    auto nowhere = parse("enable = true\n", "enable = true\n");
    EXPECT_TRUE(has_error(nowhere, "ebpf.enable: nothing to attach to"))
        << ::testing::PrintToString(error_lines(nowhere));
    auto relative = parse("enable = true\nauto_route = true\n", "cgroup = \"sys/fs/cgroup\"\n");
    EXPECT_TRUE(has_error(relative, "c.toml:7:10: ebpf.cgroup: expected an absolute path"))
        << ::testing::PrintToString(error_lines(relative));
    auto many_ports = parse(
        "enable = true\nauto_route = true\ndns_hijack = [\"any:1\", \"any:2\", \"any:3\", "
        "\"any:4\", \"any:5\", \"any:6\", \"any:7\", \"any:8\", \"any:9\"]\n",
        "enable = true\n");
    EXPECT_TRUE(has_error(many_ports, "ebpf.enable: the program guards at most 8 DNS hijack"))
        << ::testing::PrintToString(error_lines(many_ports));
    auto typo = parse("", "enabel = true\n");
    EXPECT_TRUE(has_error(typo, "ebpf.enabel: unknown key"));
}

TEST(ConfigEbpf, HijackPortsOfAnyAddress) {
    auto r = parse(
        "enable = true\nauto_route = true\ndns_hijack = [\"any:53\", "
        "\"8.8.8.8:53\", \"[::]:5353\", \"0.0.0.0:53\"]\n",
        "enable = true\n");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    EXPECT_EQ(ebpf_hijack_ports(r.config->tun), (std::vector<std::uint16_t>{53, 5353}));
}

TEST(EbpfSectionSpec, TheExampleShowsEveryKeyWithItsDefault) {
    const std::string path = std::string(SHUNT_SOURCE_DIR) + "/examples/full.toml";
    const auto full = load_config(path);
    ASSERT_TRUE(full.config) << ::testing::PrintToString(error_lines(full));
    test::expect_example_shows_every_key(ebpf_section_spec(), path, "[ebpf]", full.config->ebpf,
                                         EbpfConfig{});
    test::expect_every_key_documented(ebpf_section_spec(), EbpfConfig{});
}

TEST(EbpfSectionSpec, RangesAreEnforced) {
    test::expect_ranges_enforced(
        ebpf_section_spec(), "ebpf.", [](const std::string& key, std::int64_t value) {
            return std::string(kDns) + "[ebpf]\n" + key + " = " + std::to_string(value) + "\n";
        });
}

}  // namespace
}  // namespace shunt

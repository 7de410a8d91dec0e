// [tun] as tun_section_spec declares it: examples/full.toml shows every key with its
// default (a default that depends on [dns] as a commented line), and each key changed
// alone is what the spec's comparison reports, and nothing else.
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "config/config_tun_reader.hpp"
#include "tests/support/config_errors.hpp"
#include "tests/support/section_spec_check.hpp"
#include "tests/support/tun_key_values.hpp"

namespace shunt {
namespace {

const std::string kBase =
    "[dns]\nupstreams = [\"udp://127.0.0.1\"]\nfake_ip_range6 = \"fd00:18::/64\"\n[tun]\n";

TEST(TunSectionSpec, ExamplesFullTomlShowsEveryKeyWithItsDefault) {
    const std::string path = std::string(SHUNT_SOURCE_DIR) + "/examples/full.toml";
    const auto full = load_config(path);
    ASSERT_TRUE(full.errors.empty()) << full.errors.front().format();
    test::expect_example_shows_every_key(tun_section_spec(), path, "[tun]", full.config->tun,
                                         TunConfig{});
}

TEST(TunSectionSpec, EachKeyChangedAloneIsTheOnlyChange) {
    const auto base = parse_config(kBase, "c.toml");
    ASSERT_TRUE(base.errors.empty()) << base.errors.front().format();
    const auto& values = test::changed_tun_values();
    EXPECT_EQ(values.size(), tun_section_spec().keys.size());
    for (const auto& key : tun_section_spec().keys) {
        const std::string name(key.name);
        ASSERT_TRUE(values.count(name)) << "no test value for tun." << name;
        // The shared values turn a running device off; here the base has none.
        const std::string value = name == "enable" ? "true" : values.at(name);
        const auto changed = parse_config(kBase + name + " = " + value + "\n", "c.toml");
        ASSERT_TRUE(changed.errors.empty()) << changed.errors.front().format();
        EXPECT_NE(base.config->tun, changed.config->tun) << name;
        const auto found = tun_section_spec().changed(base.config->tun, changed.config->tun);
        ASSERT_EQ(found.size(), 1U) << name;
        EXPECT_EQ(found[0]->name, key.name);
        // copy() takes exactly that key over.
        TunConfig copied = base.config->tun;
        found[0]->copy(copied, changed.config->tun);
        EXPECT_EQ(copied, changed.config->tun) << name;
    }
}

TEST(TunSectionSpec, EveryKeyHasADocLineAndShowsItsValue) {
    const TunConfig defaults;
    for (const auto& key : tun_section_spec().keys) {
        EXPECT_FALSE(key.doc.empty()) << key.name;
        ASSERT_TRUE(key.show) << key.name;
        EXPECT_FALSE(key.show(defaults).empty()) << key.name;
    }
}

TEST(TunSectionSpec, RangesAreEnforced) {
    test::expect_ranges_enforced(tun_section_spec(), "tun.",
                                 [](const std::string& key, std::int64_t value) {
                                     return kBase + key + " = " + std::to_string(value) + "\n";
                                 });
}

// resolv.conf cannot name a port: the mode is refused at the key when shunt's DNS does not
// listen on port 53 of a loopback (or every) address, and only when the device runs.
TEST(TunSystemDns, ResolvConfNeedsPort53OnLoopback) {
    auto config = [](const std::string& listen, const std::string& tun) {
        return "[dns]\nlisten = [" + listen + "]\nupstreams = [\"udp://127.0.0.1\"]\n[tun]\n" + tun;
    };
    const auto refused = parse_config(
        config("\"127.0.0.1:1053\"", "enable = true\nsystem_dns = \"resolv.conf\"\n"), "c.toml");
    ASSERT_TRUE(test::has_error(
        refused, "c.toml:6:14: tun.system_dns: \"resolv.conf\" needs shunt's DNS on port 53"))
        << ::testing::PrintToString(test::error_lines(refused));
    EXPECT_TRUE(test::has_error(refused, "it listens on 127.0.0.1:1053"));
    for (const auto* listen : {"\"127.0.0.1:53\"", "\"0.0.0.0:53\"", "\"[::1]:53\"",
                               "\"10.0.0.1:1053\", \"127.0.0.2:53\""}) {
        const auto accepted =
            parse_config(config(listen, "enable = true\nsystem_dns = \"resolv.conf\"\n"), "c.toml");
        EXPECT_TRUE(accepted.errors.empty())
            << listen << ::testing::PrintToString(test::error_lines(accepted));
    }
    // Without the device nothing is pointed anywhere.
    EXPECT_TRUE(
        parse_config(config("\"127.0.0.1:1053\"", "system_dns = \"resolv.conf\"\n"), "c.toml")
            .errors.empty());
}

TEST(TunSystemDns, NamesAndTheAddressTheResolverIsGiven) {
    auto defaults = parse_config("[dns]\nupstreams = [\"udp://127.0.0.1\"]\n", "c.toml");
    EXPECT_EQ(defaults.config->tun.system_dns, SystemDnsMode::automatic);
    const auto bad = parse_config("[tun]\nsystem_dns = \"nm\"\n", "c.toml");
    EXPECT_TRUE(test::has_error(bad,
                                "tun.system_dns: expected \"auto\", \"resolved\", \"resolv.conf\" "
                                "or \"off\", found \"nm\""))
        << ::testing::PrintToString(test::error_lines(bad));

    DnsConfig dns;
    dns.listen = {*Endpoint::parse("192.168.1.1:1053"), *Endpoint::parse("0.0.0.0:1053")};
    // Every address: asked on loopback; a port is fine for resolved, not for resolv.conf.
    EXPECT_EQ(system_dns_server(dns, false)->to_string(), "127.0.0.1:1053");
    EXPECT_FALSE(system_dns_server(dns, true));
    dns.listen = {*Endpoint::parse("192.168.1.1:1053")};
    EXPECT_EQ(system_dns_server(dns, false)->to_string(), "192.168.1.1:1053");
    dns.listen = {*Endpoint::parse("[::]:53")};
    EXPECT_EQ(system_dns_server(dns, true)->to_string(), "[::1]:53");
}

}  // namespace
}  // namespace shunt

// [dns] as dns_section_spec declares it: examples/full.toml shows every key with its
// default (tables as their [dns.KEY] header), and each key changed alone is what the
// spec's comparison reports, and nothing else.
#include <gtest/gtest.h>

#include <map>

#include "config/config_dns_reader.hpp"
#include "config/config_loader.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/config_errors.hpp"
#include "tests/support/section_spec_check.hpp"

namespace shunt {
namespace {

using test::error_lines;

TEST(DnsSectionSpec, FullTomlShowsEveryKeyWithItsDefault) {
    const std::string path = std::string(SHUNT_SOURCE_DIR) + "/examples/full.toml";
    const auto full = load_config(path);
    ASSERT_TRUE(full.config) << ::testing::PrintToString(error_lines(full));
    test::expect_example_shows_every_key(dns_section_spec(), path, "[dns]", full.config->dns,
                                         DnsConfig{});
}

TEST(DnsSectionSpec, EachKeyChangedAloneIsTheOnlyChange) {
    test::TempDir dir;
    dir.write("cn.txt", "192.0.2.0/24\n");
    const std::string base = "[dns]\nupstreams = [\"udp://127.0.0.1\"]\n";
    // A value other than the default for every key; tables as their own sections.
    const std::map<std::string, std::string> changed = {
        {"listen", "listen = [\"127.0.0.1:1054\"]\n"},
        {"mode", "mode = \"redir-host\"\n"},
        {"fake_ip_range", "fake_ip_range = \"198.18.0.0/16\"\n"},
        {"fake_ip_range6", "fake_ip_range6 = \"fd00:18::/64\"\n"},
        {"fake_ip_ttl", "fake_ip_ttl = 5\n"},
        {"fake_ip_store", "fake_ip_store = \"\"\n"},
        {"fake_ip_filter_default", "fake_ip_filter_default = false\n"},
        {"fake_ip_filter", "fake_ip_filter = [\"+.lan\"]\n"},
        {"upstreams", "upstreams = [\"udp://127.0.0.2\"]\n"},
        {"bootstrap", "bootstrap = [\"udp://127.0.0.3\"]\n"},
        {"upstream_timeout_ms", "upstream_timeout_ms = 1000\n"},
        {"ca_file", "ca_file = \"/etc/ssl/certs/ca-certificates.crt\"\n"},
        {"cache_size", "cache_size = 10\n"},
        {"redir_host_memory", "redir_host_memory = 10\n"},
        {"tcp_idle_timeout_ms", "tcp_idle_timeout_ms = 1000\n"},
        {"max_tcp_clients", "max_tcp_clients = 10\n"},
        {"max_inflight_queries", "max_inflight_queries = 10\n"},
        {"nameserver_policy", "[dns.nameserver_policy]\n\"+.cn\" = [\"udp://127.0.0.4\"]\n"},
        {"split",
         "[dns.split]\ndomestic = [\"udp://127.0.0.5\"]\nforeign = "
         "[\"udp://127.0.0.6\"]\ndomestic_ips = \"cn.txt\"\n"},
        {"hosts", "[dns.hosts]\n\"router.lan\" = \"192.168.1.1\"\n"},
    };
    const auto defaults = parse_config(base, dir.file("c.toml"));
    ASSERT_TRUE(defaults.config) << ::testing::PrintToString(error_lines(defaults));
    EXPECT_EQ(changed.size(), dns_section_spec().keys.size());
    for (const auto& key : dns_section_spec().keys) {
        const std::string name(key.name);
        ASSERT_TRUE(changed.count(name)) << "no test value for dns." << name;
        std::string text = changed.at(name);
        // A replacement for `upstreams` stands alone; the rest go below the base lines.
        text = name == "upstreams" ? "[dns]\n" + text : base + text;
        const auto loaded = parse_config(text, dir.file("c.toml"));
        ASSERT_TRUE(loaded.config) << name << ": " << ::testing::PrintToString(error_lines(loaded));
        const auto found = dns_section_spec().changed(defaults.config->dns, loaded.config->dns);
        ASSERT_EQ(found.size(), 1U) << name;
        EXPECT_EQ(found[0]->name, key.name);
        DnsConfig copied = defaults.config->dns;
        found[0]->copy(copied, loaded.config->dns);
        EXPECT_EQ(copied, loaded.config->dns) << name;
    }
}

TEST(DnsSectionSpec, RangesAreEnforced) {
    test::expect_ranges_enforced(dns_section_spec(), "dns.",
                                 [](const std::string& key, std::int64_t value) {
                                     return "[dns]\nupstreams = [\"udp://127.0.0.1\"]\n" + key +
                                            " = " + std::to_string(value) + "\n";
                                 });
}

}  // namespace
}  // namespace shunt

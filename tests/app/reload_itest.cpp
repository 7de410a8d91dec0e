// Reloads (SIGHUP). [tun]: with a changed key, for every key tun_section_spec declares: the running
// shunt either applies it or logs that it takes effect at the next start, naming the key.
// Before the declarations, a hand-kept list of keys left address, address6, max_half_open
// and the idle timeouts out, and a reload that changed them said nothing.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "config/config_tun_reader.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/shunt_in_namespace.hpp"
#include "tests/support/tun_key_values.hpp"

namespace shunt::test {
namespace {

TEST(ReloadTun, EveryChangedKeyIsAppliedOrLoggedForTheNextStart) {
    const auto& spec = tun_section_spec();
    for (const auto& key : spec.keys)
        ASSERT_TRUE(changed_tun_values().count(std::string(key.name)))
            << "tun." << key.name << " has no value in this test";

    E2eTopology topology;
    ShuntInNamespace::Options options;
    options.extra_dns = "fake_ip_range6 = \"fd00:18::/64\"\n";
    ShuntInNamespace shunt(topology, options);
    shunt.start();
    for (const auto& key : spec.keys) {
        const std::string name(key.name);
        SCOPED_TRACE("tun." + name);
        auto changed = options;
        changed.extra_tun = name + " = " + changed_tun_values().at(name) + "\n";
        const std::size_t log_before = shunt.log().size();
        ASSERT_TRUE(shunt.reload(changed)) << shunt.log().substr(log_before);
        const std::string since = shunt.log().substr(log_before);
        const std::string line = "reload: tun." + name + " = ";
        const auto at = since.find(line);
        ASSERT_NE(at, std::string::npos) << since;
        const std::string rest = since.substr(at, since.find('\n', at) - at);
        if (key.on_reload == OnReload::applied) {
            EXPECT_NE(rest.find(" applied"), std::string::npos) << rest;
        } else {
            EXPECT_NE(rest.find("takes effect at the next start"), std::string::npos) << rest;
        }
        // No other key is reported: the file differs from the running one in this key only
        // (the next_start keys changed before went back to their running values).
        for (const auto& other : spec.keys) {
            if (other.name == key.name) continue;
            EXPECT_EQ(since.find("reload: tun." + std::string(other.name) + " = "),
                      std::string::npos)
                << since;
        }
        // Back to the running file, which applies the applied key's old value again.
        ASSERT_TRUE(shunt.reload(options));
    }
    // The device is still the one it started with and shunt still answers.
    EXPECT_EQ(topology.run_in_client({"ip", "link", "show", ShuntInNamespace::kTunName}).exit_code,
              0);
    EXPECT_FALSE(shunt.resolve(E2eTopology::kWebSite).empty()) << shunt.log();
    EXPECT_EQ(shunt.stop(), 0);
}

// An applied key really reaches the running netstack: DNS sent into the device at an
// address of the fake range is dropped (an unknown fake IP) until a reload hijacks it.
TEST(ReloadTun, AReloadedDnsHijackAnswersAtOnce) {
    E2eTopology topology;
    ShuntInNamespace::Options options;
    ShuntInNamespace shunt(topology, options);
    shunt.start();
    const auto ask = [&] {
        return topology.run_in_client(
            {"dig", "+short", "+time=1", "+tries=1", "@198.18.0.53", E2eTopology::kWebSite});
    };
    const auto before = ask();
    EXPECT_NE(before.exit_code, 0) << "answered before the reload: " << before.out;
    auto hijacking = options;
    hijacking.extra_tun = "dns_hijack = [\"198.18.0.53:53\"]\n";
    ASSERT_TRUE(shunt.reload(hijacking)) << shunt.log();
    const auto after = ask();
    EXPECT_EQ(after.exit_code, 0) << shunt.log();
    EXPECT_EQ(after.out.rfind("198.1", 0), 0U) << "a fake IP: " << after.out;
    EXPECT_EQ(shunt.stop(), 0);
}

// [dns] on SIGHUP: the TTL of fake answers is applied at once; the pool's range waits for
// the next start, and the log says so for that key.
TEST(ReloadDns, TheTtlIsAppliedAndThePoolRangeWaitsForTheNextStart) {
    E2eTopology topology;
    ShuntInNamespace::Options options;
    ShuntInNamespace shunt(topology, options);
    shunt.start();
    const auto ttl = [&] {
        const auto answer =
            topology.run_in_client({"dig", "+noall", "+answer", "+time=2", "+tries=1", "@127.0.0.1",
                                    E2eTopology::kWebSite});
        std::istringstream line(answer.out);
        std::string name;
        int seconds = -1;
        line >> name >> seconds;
        return seconds;
    };
    EXPECT_EQ(ttl(), 1) << shunt.log();
    auto changed = options;
    changed.extra_dns = "fake_ip_ttl = 7\nfake_ip_range = \"198.18.0.0/16\"\n";
    const std::size_t before = shunt.log().size();
    ASSERT_TRUE(shunt.reload(changed)) << shunt.log();
    const std::string since = shunt.log().substr(before);
    EXPECT_NE(since.find("reload: dns.fake_ip_ttl = 7 applied"), std::string::npos) << since;
    EXPECT_NE(since.find("reload: dns.fake_ip_range = \"198.18.0.0/16\" takes effect at the "
                         "next start"),
              std::string::npos)
        << since;
    EXPECT_EQ(ttl(), 7) << shunt.log();
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test

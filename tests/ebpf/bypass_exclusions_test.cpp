// What never bypasses whatever the rules say.
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "ebpf/bypass_service.hpp"

namespace shunt::ebpf {
namespace {

TEST(BypassExclusions, FakeRangesAndHijackedServers) {
    auto loaded = parse_config(
        "[dns]\nupstreams = [\"udp://192.0.2.1\"]\nfake_ip_range6 = \"fc00::/18\"\n"
        "[tun]\nenable = true\nauto_route = true\ndns_hijack = [\"any:53\", \"8.8.8.8:53\"]\n",
        "c.toml");
    ASSERT_TRUE(loaded.config);
    const rules::AddressSet excluded = bypass_exclusions(*loaded.config);
    for (const char* inside : {"198.18.0.5", "198.19.255.255", "fc00::7", "8.8.8.8"})
        EXPECT_TRUE(excluded.contains(*IpAddress::parse(inside))) << inside;
    for (const char* outside : {"1.2.3.4", "8.8.4.4", "2001:db8::1", "fc00:4000::1", "::1"})
        EXPECT_FALSE(excluded.contains(*IpAddress::parse(outside))) << outside;
}

}  // namespace
}  // namespace shunt::ebpf

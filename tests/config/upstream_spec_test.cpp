#include "config/upstream_spec.hpp"

#include <gtest/gtest.h>

namespace shunt {
namespace {

TEST(UpstreamSpec, ParsesEveryScheme) {
    std::string error;
    auto udp = UpstreamSpec::parse("udp://127.0.0.1:5353", &error);
    ASSERT_TRUE(udp) << error;
    EXPECT_EQ(udp->scheme, UpstreamSpec::Scheme::udp);
    EXPECT_EQ(udp->port, 5353);
    auto tcp6 = UpstreamSpec::parse("tcp://[::1]", &error);
    ASSERT_TRUE(tcp6) << error;
    EXPECT_EQ(tcp6->port, 53);
    EXPECT_TRUE(tcp6->address->is_v6());
    auto tls = UpstreamSpec::parse("tls://9.9.9.9", &error);
    ASSERT_TRUE(tls) << error;
    EXPECT_EQ(tls->port, 853);
    EXPECT_EQ(tls->tls_name, "9.9.9.9");
    auto named = UpstreamSpec::parse("tls://dns.quad9.net@9.9.9.9:8853", &error);
    ASSERT_TRUE(named) << error;
    EXPECT_EQ(named->tls_name, "dns.quad9.net");
    EXPECT_EQ(named->address->to_string(), "9.9.9.9");
    EXPECT_EQ(named->port, 8853);
    auto doh = UpstreamSpec::parse("https://DNS.Example/dns-query", &error);
    ASSERT_TRUE(doh) << error;
    EXPECT_EQ(doh->port, 443);
    EXPECT_EQ(doh->tls_name, "dns.example");
    EXPECT_TRUE(doh->needs_bootstrap());
    auto doh_default_path = UpstreamSpec::parse("https://dns.example@10.0.0.1", &error);
    ASSERT_TRUE(doh_default_path) << error;
    EXPECT_EQ(doh_default_path->path, "/dns-query");
    EXPECT_FALSE(doh_default_path->needs_bootstrap());
}

TEST(UpstreamSpec, RejectsMalformedUrls) {
    for (const char* bad :
         {"1.1.1.1", "dns://1.1.1.1", "udp://", "udp://1.1.1.1:0", "udp://1.1.1.1:99999",
          "udp://name.example", "tcp://a@1.1.1.1", "udp://1.1.1.1/path", "udp://::1",
          "tls://x@not-an-ip", "tls://[::1", "https://bad..name/"}) {
        std::string error;
        EXPECT_FALSE(UpstreamSpec::parse(bad, &error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
}

}  // namespace
}  // namespace shunt

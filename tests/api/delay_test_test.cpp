// The delay tests' query parameters as mihomo's dashboards send them (docs/api.md §2.3):
// a timeout within the endpoint's range, an http:// URL, and mihomo's `expected` list.
#include "api/delay_test.hpp"

#include <gtest/gtest.h>

namespace shunt::api {
namespace {

std::optional<DelayTest> parse(const std::string& query, std::int64_t max = 32767) {
    return parse_delay_test(*RequestTarget::parse("/proxies/a/delay?" + query), max);
}

TEST(DelayTestParameters, TakesWhatDashboardsSend) {
    const auto test = parse("url=http%3A%2F%2Fwww.gstatic.com%2Fgenerate_204&timeout=5000");
    ASSERT_TRUE(test);
    EXPECT_EQ(test->url.host, "www.gstatic.com");
    EXPECT_EQ(test->url.path, "/generate_204");
    EXPECT_EQ(test->timeout.count(), 5000);
    EXPECT_TRUE(test->expected.empty());
    const auto ranged = parse("url=http://1.2.3.4:8080/&timeout=1&expected=200/204/300-399");
    ASSERT_TRUE(ranged);
    EXPECT_EQ(ranged->url.port, 8080);
    EXPECT_EQ(ranged->expected,
              (std::vector<std::pair<int, int>>{{200, 200}, {204, 204}, {300, 399}}));
    EXPECT_TRUE(parse("url=http://a/&timeout=100&expected=*"));
    const auto tls = parse("url=https%3A%2F%2Fcp.cloudflare.com%2F&timeout=100");
    ASSERT_TRUE(tls) << "metacubexd's and zashboard's default test URLs are https";
    EXPECT_TRUE(tls->url.tls);
    EXPECT_EQ(tls->url.port, 443);
    EXPECT_EQ(tls->url.host, "cp.cloudflare.com");
    EXPECT_FALSE(ranged->url.tls);
    EXPECT_TRUE(parse("url=http://a/&timeout=100000", 0x7fffffff)) << "/group takes 32 bits";
}

TEST(DelayTestParameters, RefusesWhatMihomoRefuses) {
    for (const char* bad :
         {"url=http://a/", "url=http://a/&timeout=", "url=http://a/&timeout=x",
          "url=http://a/&timeout=0", "url=http://a/&timeout=32768", "url=http://a/&timeout=-5",
          "timeout=100", "url=&timeout=100", "url=ftp://a/&timeout=100",
          "url=http://a/&timeout=100&expected=2x", "url=http://a/&timeout=100&expected=299-200",
          "url=http://a/&timeout=100&expected=200/", "url=http://a/&timeout=100&expected=99"})
        EXPECT_FALSE(parse(bad)) << bad;
}

}  // namespace
}  // namespace shunt::api

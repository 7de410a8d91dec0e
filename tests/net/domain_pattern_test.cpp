#include "net/domain_pattern.hpp"

#include <gtest/gtest.h>

#include "dns/filter/default_fake_ip_filter.hpp"
#include "net/domain_name.hpp"

namespace shunt {
namespace {

DomainPatternSet set_of(std::initializer_list<const char*> patterns) {
    DomainPatternSet set;
    for (auto p : patterns) {
        std::string error;
        auto parsed = DomainPattern::parse(p, &error);
        EXPECT_TRUE(parsed) << p << ": " << error;
        if (parsed) set.add(*parsed);
    }
    return set;
}

TEST(DomainName, NormalisesCaseAndTrailingDot) {
    EXPECT_EQ(normalize_domain("WWW.Example.COM."), "www.example.com");
    EXPECT_EQ(normalize_domain("xn--fiqs8s.cn"), "xn--fiqs8s.cn");
    EXPECT_FALSE(normalize_domain(""));
    EXPECT_FALSE(normalize_domain("a..b"));
    EXPECT_FALSE(normalize_domain(std::string(64, 'a') + ".com"));
    EXPECT_TRUE(normalize_domain(std::string(63, 'a') + ".com"));
    EXPECT_FALSE(normalize_domain("bad name.com"));
}

TEST(DomainPatternSet, MatchesEachKind) {
    auto set = set_of({"exact.example", "+.lan", ".strict.example", "time.*.com"});
    EXPECT_TRUE(set.matches("exact.example"));
    EXPECT_FALSE(set.matches("sub.exact.example"));
    EXPECT_TRUE(set.matches("lan"));
    EXPECT_TRUE(set.matches("router.lan"));
    EXPECT_TRUE(set.matches("a.b.lan"));
    EXPECT_FALSE(set.matches("plan"));
    EXPECT_FALSE(set.matches("strict.example"));
    EXPECT_TRUE(set.matches("a.strict.example"));
    EXPECT_TRUE(set.matches("time.windows.com"));
    EXPECT_FALSE(set.matches("time.com"));
    EXPECT_FALSE(set.matches("time.a.b.com"));
    EXPECT_FALSE(set.matches("example.com"));
}

TEST(DomainPattern, RejectsMalformedPatterns) {
    for (const char* bad : {"", "+.", "a..b", "+.*.com", "ti*me.com", "bad name"}) {
        std::string error;
        EXPECT_FALSE(DomainPattern::parse(bad, &error)) << bad;
        EXPECT_FALSE(error.empty());
    }
}

TEST(DefaultFakeIpFilter, EveryEntryParsesAndCoversTheUsualSuspects) {
    DomainPatternSet set;
    for (auto text : dns::default_fake_ip_filter()) {
        std::string error;
        auto p = DomainPattern::parse(text, &error);
        ASSERT_TRUE(p) << text << ": " << error;
        set.add(*p);
    }
    for (const char* name : {"router.lan", "printer.local", "0.pool.ntp.org", "time.windows.com",
                             "stun.l.google.com", "www.msftconnecttest.com", "captive.apple.com"})
        EXPECT_TRUE(set.matches(name)) << name;
    for (const char* name : {"example.com", "www.google.com", "github.com"})
        EXPECT_FALSE(set.matches(name)) << name;
}

}  // namespace
}  // namespace shunt

// TargetPolicy: which addresses the mux server refuses, and why.
#include <gtest/gtest.h>

#include "outbound/mux/server/target_policy.hpp"

namespace shunt::outbound::mux {
namespace {

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

struct Case {
    const char* address;
    const char* why;  // nullptr: allowed by the default policy
};

class DefaultTargetPolicy : public ::testing::TestWithParam<Case> {};

TEST_P(DefaultTargetPolicy, RefusesWhatIsNotGloballyReachable) {
    const TargetPolicy policy;
    const auto why = policy.why_denied(ip(GetParam().address));
    if (GetParam().why == nullptr) {
        EXPECT_FALSE(why) << *why;
        return;
    }
    ASSERT_TRUE(why) << GetParam().address << " was allowed";
    EXPECT_EQ(*why, std::string(GetParam().address) + " is a " + GetParam().why +
                        " (allow_private_targets = false)");
}

INSTANTIATE_TEST_SUITE_P(
    Table, DefaultTargetPolicy,
    ::testing::Values(
        Case{"127.0.0.1", "loopback address"}, Case{"127.255.255.254", "loopback address"},
        Case{"::1", "loopback address"}, Case{"::ffff:127.0.0.1", "loopback address"},
        Case{"10.1.2.3", "private address"}, Case{"172.16.0.1", "private address"},
        Case{"172.31.255.255", "private address"}, Case{"192.168.1.1", "private address"},
        Case{"::ffff:192.168.1.1", "private address"},
        Case{"100.64.0.1", "shared (carrier-grade NAT) address"},
        Case{"169.254.169.254", "link-local address"}, Case{"fe80::1", "link-local address"},
        Case{"fd00::1", "unique-local address"}, Case{"0.0.0.0", "\"this network\" address"},
        Case{"::", "unspecified address"}, Case{"198.18.0.5", "benchmarking (fake-IP) address"},
        Case{"224.0.0.251", "multicast address"}, Case{"ff02::fb", "multicast address"},
        Case{"255.255.255.255", "reserved address"}, Case{"192.0.0.8", "IETF protocol assignment"},
        // public ones
        Case{"8.8.8.8", nullptr}, Case{"172.32.0.1", nullptr}, Case{"100.128.0.1", nullptr},
        Case{"2001:4860:4860::8888", nullptr}, Case{"::ffff:8.8.8.8", nullptr},
        Case{"203.0.113.7", nullptr}));

TEST(TargetPolicy, AllowPrivateLetsEverythingThroughButDenyTargets) {
    const TargetPolicy policy(true, {*Prefix::parse("203.0.113.0/24"), *Prefix::parse("::1")});
    EXPECT_FALSE(policy.why_denied(ip("127.0.0.1")));
    EXPECT_FALSE(policy.why_denied(ip("10.0.0.1")));
    EXPECT_EQ(policy.why_denied(ip("203.0.113.9")).value_or(""),
              "203.0.113.9 is in deny_targets (203.0.113.0/24)");
    EXPECT_EQ(policy.why_denied(ip("::ffff:203.0.113.9")).value_or(""),
              "::ffff:203.0.113.9 is in deny_targets (203.0.113.0/24)");
    EXPECT_EQ(policy.why_denied(ip("::1")).value_or(""), "::1 is in deny_targets (::1/128)");
}

TEST(TargetPolicy, FilterKeepsTheAllowedInOrderAndSaysWhyOfTheFirstDenied) {
    const TargetPolicy policy;
    std::string why;
    const auto allowed =
        policy.filter({ip("10.0.0.1"), ip("8.8.8.8"), ip("127.0.0.1"), ip("1.1.1.1")}, why);
    EXPECT_EQ(allowed, (std::vector<IpAddress>{ip("8.8.8.8"), ip("1.1.1.1")}));
    EXPECT_EQ(why, "10.0.0.1 is a private address (allow_private_targets = false)");
    why.clear();
    EXPECT_TRUE(policy.filter({ip("127.0.0.1")}, why).empty());
    EXPECT_FALSE(why.empty());
}

TEST(TargetPolicy, DescribesItselfForTheLog) {
    EXPECT_EQ(TargetPolicy().describe(), "private, loopback and link-local targets refused");
    EXPECT_EQ(TargetPolicy(true, {*Prefix::parse("192.0.2.0/24")}).describe(),
              "private and loopback targets allowed; deny_targets: 192.0.2.0/24");
}

}  // namespace
}  // namespace shunt::outbound::mux

#include "rules/match/ip_range.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace shunt::rules {
namespace {

std::vector<std::string> cover(const char* first, const char* last) {
    std::vector<std::string> out;
    for (const auto& prefix : range_to_prefixes(*IpAddress::parse(first), *IpAddress::parse(last)))
        out.push_back(prefix.to_string());
    return out;
}

using Strings = std::vector<std::string>;

TEST(IpRange, AlignedBlocksAreOnePrefix) {
    EXPECT_EQ(cover("1.0.0.0", "1.0.0.255"), Strings{"1.0.0.0/24"});
    EXPECT_EQ(cover("0.0.0.0", "255.255.255.255"), Strings{"0.0.0.0/0"});
    EXPECT_EQ(cover("9.9.9.9", "9.9.9.9"), Strings{"9.9.9.9/32"});
    EXPECT_EQ(cover("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), Strings{"::/0"});
    EXPECT_EQ(cover("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
              Strings{"2001:db8::/32"});
}

TEST(IpRange, OddRanges) {
    EXPECT_EQ(cover("1.0.0.1", "1.0.0.6"),
              (Strings{"1.0.0.1/32", "1.0.0.2/31", "1.0.0.4/31", "1.0.0.6/32"}));
    EXPECT_EQ(cover("16.0.0.0", "16.0.2.255"), (Strings{"16.0.0.0/23", "16.0.2.0/24"}));
    EXPECT_EQ(cover("0.0.0.1", "255.255.255.255").size(), 32u);
    EXPECT_EQ(cover("0.0.0.0", "255.255.255.254").size(), 32u);
    EXPECT_EQ(cover("::1", "::3"), (Strings{"::1/128", "::2/127"}));
}

TEST(IpRange, RejectsReversedAndMixedRanges) {
    EXPECT_TRUE(
        range_to_prefixes(*IpAddress::parse("1.0.0.2"), *IpAddress::parse("1.0.0.1")).empty());
    EXPECT_TRUE(range_to_prefixes(*IpAddress::parse("1.0.0.1"), *IpAddress::parse("::2")).empty());
}

// The cover is exact, ordered, contiguous and minimal (no two neighbours merge into one).
TEST(IpRange, RandomRangesAreCoveredExactly) {
    std::mt19937 rng(11);
    for (int i = 0; i < 2000; ++i) {
        std::uint32_t a = rng(), b = rng();
        if (i % 2) b = a + (rng() % 5000);
        if (b < a) std::swap(a, b);
        const auto prefixes = range_to_prefixes(IpAddress::from_v4(a), IpAddress::from_v4(b));
        ASSERT_FALSE(prefixes.empty());
        std::uint64_t next = a;
        for (std::size_t k = 0; k < prefixes.size(); ++k) {
            ASSERT_EQ(prefixes[k].base().v4(), next);
            next += prefixes[k].size();
            if (k > 0 && prefixes[k].length() == prefixes[k - 1].length()) {
                // Two equal neighbours must not form an aligned pair of a larger block.
                const std::uint64_t size = prefixes[k].size();
                ASSERT_NE(prefixes[k - 1].base().v4() % (2 * size), 0u) << i;
            }
        }
        ASSERT_EQ(next, std::uint64_t{b} + 1);
    }
}

}  // namespace
}  // namespace shunt::rules

#include "rules/match/address_set.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace shunt::rules {
namespace {

Prefix prefix(const char* text) {
    auto parsed = Prefix::parse(text);
    EXPECT_TRUE(parsed) << text;
    return parsed.value_or(Prefix{});
}

IpAddress ip(const char* text) {
    return IpAddress::parse(text).value();
}

std::vector<std::string> texts(const AddressSet& set) {
    std::vector<std::string> out;
    for (const Prefix& p : set.to_prefixes()) out.push_back(p.to_string());
    return out;
}

TEST(AddressSet, EverythingAndNothing) {
    EXPECT_TRUE(AddressSet{}.empty());
    const AddressSet all = AddressSet::everything();
    EXPECT_EQ(texts(all), (std::vector<std::string>{"0.0.0.0/0", "::/0"}));
    EXPECT_DOUBLE_EQ(all.fraction(IpAddress::Family::v4), 1.0);
    EXPECT_DOUBLE_EQ(all.fraction(IpAddress::Family::v6), 1.0);
    EXPECT_TRUE(all.complement().empty());
    EXPECT_EQ(AddressSet{}.complement(), all);
}

TEST(AddressSet, MergesOverlappingAndAdjacentPrefixes) {
    const AddressSet set =
        AddressSet::of({prefix("10.0.0.0/9"), prefix("10.128.0.0/9"), prefix("10.1.0.0/16"),
                        prefix("fd00::/9"), prefix("fd80::/9")});
    EXPECT_EQ(texts(set), (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
    EXPECT_EQ(set.range_count(), 2u);
}

TEST(AddressSet, SubtractionSplitsIntoTheFewestPrefixes) {
    const AddressSet set =
        AddressSet::of(prefix("198.18.0.0/15")).without(AddressSet::of(prefix("198.18.0.1/32")));
    EXPECT_EQ(texts(set), (std::vector<std::string>{
                              "198.18.0.0/32", "198.18.0.2/31", "198.18.0.4/30", "198.18.0.8/29",
                              "198.18.0.16/28", "198.18.0.32/27", "198.18.0.64/26",
                              "198.18.0.128/25", "198.18.1.0/24", "198.18.2.0/23", "198.18.4.0/22",
                              "198.18.8.0/21", "198.18.16.0/20", "198.18.32.0/19", "198.18.64.0/18",
                              "198.18.128.0/17", "198.19.0.0/16"}));
    EXPECT_FALSE(set.contains(ip("198.18.0.1")));
    EXPECT_TRUE(set.contains(ip("198.18.0.0")));
    EXPECT_TRUE(set.contains(ip("198.19.255.255")));
    EXPECT_FALSE(set.contains(ip("198.20.0.0")));
}

TEST(AddressSet, FamiliesStayApart) {
    const AddressSet v4 = AddressSet::of(prefix("0.0.0.0/0"));
    EXPECT_FALSE(v4.contains(ip("::1")));
    EXPECT_FALSE(v4.contains(ip("::ffff:1.2.3.4")));
    EXPECT_TRUE(v4.intersected(AddressSet::of(prefix("::/0"))).empty());
    EXPECT_DOUBLE_EQ(v4.fraction(IpAddress::Family::v6), 0.0);
    EXPECT_EQ(texts(AddressSet::everything().without(v4)), (std::vector<std::string>{"::/0"}));
}

TEST(AddressSet, TopOfTheSpace) {
    const AddressSet top = AddressSet::of({prefix("255.255.255.255/32"), prefix("ffff::/16")});
    EXPECT_TRUE(top.contains(ip("255.255.255.255")));
    EXPECT_TRUE(top.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_EQ(texts(top.complement().complement()), texts(top));
    EXPECT_EQ(texts(AddressSet::of(prefix("255.255.255.254/31")).united(top)),
              (std::vector<std::string>{"255.255.255.254/31", "ffff::/16"}));
}

// The algebra against a brute-force model over a small universe (10.0.0.0/24, one bit
// per address): union, intersection, difference and complement for random sets.
TEST(AddressSet, AgreesWithABitModel) {
    std::mt19937 random(12345);
    const std::uint32_t base = 0x0a000000;
    auto random_set = [&](std::vector<bool>& bits) {
        std::vector<Prefix> prefixes;
        const int n = static_cast<int>(random() % 6);
        for (int i = 0; i < n; ++i) {
            const int length = 24 + static_cast<int>(random() % 9);
            const std::uint32_t host = random() % 256;
            const Prefix p(IpAddress::from_v4(base + host), length);
            prefixes.push_back(p);
            for (std::uint32_t a = 0; a < 256; ++a)
                if (p.contains(IpAddress::from_v4(base + a))) bits[a] = true;
        }
        return AddressSet::of(prefixes);
    };
    const AddressSet universe = AddressSet::of(prefix("10.0.0.0/24"));
    for (int round = 0; round < 500; ++round) {
        std::vector<bool> a_bits(256), b_bits(256);
        const AddressSet a = random_set(a_bits);
        const AddressSet b = random_set(b_bits);
        const AddressSet both = a.intersected(b), either = a.united(b), only_a = a.without(b),
                         not_a = a.complement().intersected(universe);
        for (std::uint32_t i = 0; i < 256; ++i) {
            const IpAddress x = IpAddress::from_v4(base + i);
            ASSERT_EQ(both.contains(x), a_bits[i] && b_bits[i]) << round << " " << i;
            ASSERT_EQ(either.contains(x), a_bits[i] || b_bits[i]) << round << " " << i;
            ASSERT_EQ(only_a.contains(x), a_bits[i] && !b_bits[i]) << round << " " << i;
            ASSERT_EQ(not_a.contains(x), !a_bits[i]) << round << " " << i;
        }
        // The prefixes say exactly the same set, and no fewer would do for the adjacent
        // ones (the set made from its own prefixes is itself).
        EXPECT_EQ(AddressSet::of(either.to_prefixes()), either);
    }
}

}  // namespace
}  // namespace shunt::rules

// IpPrefixTable against references that share no code with it: a linear scan over all
// prefixes, and (for the bulk of random lookups) a per-length hash map probed from the
// longest length down.
#include "rules/match/ip_prefix_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

namespace shunt::rules {
namespace {

using u128 = unsigned __int128;

IpAddress v4(const char* text) {
    return *IpAddress::parse(text);
}
Prefix pfx(const char* text) {
    return *Prefix::parse(text);
}

// Longest prefix, then lowest value: the documented tie rule.
std::optional<std::uint32_t> linear_scan(const std::vector<PrefixValue>& entries,
                                         const IpAddress& address) {
    int best_length = -1;
    std::optional<std::uint32_t> best;
    for (const auto& entry : entries) {
        if (!entry.prefix.contains(address)) continue;
        if (entry.prefix.length() > best_length ||
            (entry.prefix.length() == best_length && entry.value < *best)) {
            best_length = entry.prefix.length();
            best = entry.value;
        }
    }
    return best;
}

class LengthMapReference {
  public:
    explicit LengthMapReference(const std::vector<PrefixValue>& entries) {
        for (const auto& entry : entries) {
            auto [it, inserted] = by_length_[entry.prefix.length()].emplace(
                entry.prefix.base().to_u128(), entry.value);
            if (!inserted && entry.value < it->second) it->second = entry.value;
        }
    }
    std::optional<std::uint32_t> lookup(const IpAddress& address) const {
        const u128 value = address.to_u128();
        for (auto it = by_length_.rbegin(); it != by_length_.rend(); ++it) {
            const int length = it->first;
            // to_u128() of a v4 address keeps it in the top 32 bits (network-order bytes),
            // so one mask of the top `length` bits serves both families.
            const u128 mask = length == 0 ? 0 : ~u128{0} << (128 - length);
            const auto found = it->second.find(value & mask);
            if (found != it->second.end()) return found->second;
        }
        return std::nullopt;
    }

  private:
    struct Hash {
        std::size_t operator()(u128 v) const {
            return std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(v) * 31 +
                                              static_cast<std::uint64_t>(v >> 64));
        }
    };
    std::map<int, std::unordered_map<u128, std::uint32_t, Hash>> by_length_;
};

struct RandomCase {
    std::vector<PrefixValue> entries;
    std::vector<IpAddress> addresses;
};

// Random prefixes of mixed lengths clustered in a few /16s (so they overlap and share
// chunks), with /0, host routes and duplicate prefixes; addresses half inside a random
// prefix, half anywhere.
RandomCase make_random_case(bool v6, std::size_t prefix_count, std::size_t address_count,
                            unsigned seed) {
    std::mt19937_64 rng(seed);
    const int width = v6 ? 128 : 32;
    auto random_address = [&](bool clustered) {
        u128 value = (u128{rng()} << 64) | rng();
        if (clustered)
            value = (value & ~(u128{0xffff} << (width - 16))) |
                    (u128{rng() % 4} << (width - 16));  // 4 hot /16s
        if (!v6) return IpAddress::from_v4(static_cast<std::uint32_t>(value));
        return IpAddress::from_v6_u128(value);
    };
    auto random_length = [&]() -> int {
        const auto roll = rng() % 100;
        if (roll < 1) return v6 ? width : 0;
        if (roll < 6) return width;
        if (!v6) return static_cast<int>(rng() % 33);
        // v6 has no prefix shorter than /8 (the /0 is v4 only), so v6 lookups also miss.
        return roll < 16 ? 8 + static_cast<int>(rng() % 121) : 8 + static_cast<int>(rng() % 57);
    };
    RandomCase result;
    for (std::size_t i = 0; i < prefix_count; ++i) {
        const auto value = static_cast<std::uint32_t>(rng() % 5000);
        result.entries.push_back({Prefix(random_address(rng() % 4 != 0), random_length()), value});
        if (i % 50 == 0)  // same prefix again with another value
            result.entries.push_back({result.entries.back().prefix, value ^ 1});
    }
    for (std::size_t i = 0; i < address_count; ++i) {
        if (i % 2 == 0) {
            const Prefix& p = result.entries[rng() % result.entries.size()].prefix;
            result.addresses.push_back(p.at(rng() % p.size()));
        } else {
            result.addresses.push_back(random_address(rng() % 2 == 0));
        }
    }
    return result;
}

void check_random(bool v6) {
    // v6 checks fewer addresses: its reference probes up to 121 lengths per address, and
    // the whole file must stay within a few seconds under ASan.
    const auto random_case = make_random_case(v6, 10'000, v6 ? 25'000 : 100'000, v6 ? 7 : 3);
    const IpPrefixTable table(random_case.entries);
    const LengthMapReference reference(random_case.entries);
    std::size_t hits = 0;
    for (std::size_t i = 0; i < random_case.addresses.size(); ++i) {
        const IpAddress& address = random_case.addresses[i];
        const auto expected = reference.lookup(address);
        ASSERT_EQ(table.lookup(address), expected) << address.to_string();
        if (i % 200 == 0) {
            ASSERT_EQ(linear_scan(random_case.entries, address), expected);
        }
        hits += expected.has_value();
    }
    // The case must exercise both outcomes to mean anything (v4 has a /0, so it always hits).
    EXPECT_GT(hits, random_case.addresses.size() / 4);
    if (v6) {
        EXPECT_LT(hits, random_case.addresses.size());
    }
}

TEST(IpPrefixTable, RandomV4AgainstReference) {
    check_random(false);
}
TEST(IpPrefixTable, RandomV6AgainstReference) {
    check_random(true);
}

TEST(IpPrefixTable, EmptyTableMissesEverything) {
    const IpPrefixTable table;
    EXPECT_EQ(table.lookup(v4("1.2.3.4")), std::nullopt);
    EXPECT_EQ(table.lookup(*IpAddress::parse("2001:db8::1")), std::nullopt);
    const IpPrefixTable built(std::vector<PrefixValue>{});
    EXPECT_FALSE(built.contains(v4("0.0.0.0")));
    EXPECT_LT(built.memory_bytes(), 64u);
}

TEST(IpPrefixTable, DefaultRouteAndHostRoutes) {
    const std::vector<PrefixValue> entries = {
        {pfx("0.0.0.0/0"), 9},          {pfx("10.0.0.0/8"), 5}, {pfx("10.1.2.3/32"), 1},
        {pfx("255.255.255.255/32"), 2}, {pfx("::/0"), 19},      {pfx("2001:db8::1/128"), 11},
    };
    const IpPrefixTable table(entries);
    EXPECT_EQ(table.lookup(v4("8.8.8.8")), 9u);
    EXPECT_EQ(table.lookup(v4("10.1.2.2")), 5u);
    EXPECT_EQ(table.lookup(v4("10.1.2.3")), 1u);
    EXPECT_EQ(table.lookup(v4("10.1.2.4")), 5u);
    EXPECT_EQ(table.lookup(v4("255.255.255.255")), 2u);
    EXPECT_EQ(table.lookup(v4("255.255.255.254")), 9u);
    EXPECT_EQ(table.lookup(*IpAddress::parse("2001:db8::1")), 11u);
    EXPECT_EQ(table.lookup(*IpAddress::parse("2001:db8::2")), 19u);
    EXPECT_EQ(table.v4_prefix_count(), 4u);
    EXPECT_EQ(table.v6_prefix_count(), 2u);
}

TEST(IpPrefixTable, EqualPrefixesLowestValueWinsAnyOrder) {
    const IpPrefixTable a(std::vector<PrefixValue>{{pfx("1.2.0.0/16"), 7}, {pfx("1.2.0.0/16"), 3}});
    const IpPrefixTable b(std::vector<PrefixValue>{{pfx("1.2.0.0/16"), 3}, {pfx("1.2.0.0/16"), 7}});
    EXPECT_EQ(a.lookup(v4("1.2.3.4")), 3u);
    EXPECT_EQ(b.lookup(v4("1.2.3.4")), 3u);
}

TEST(IpPrefixTable, LongerPrefixBeatsLowerValue) {
    const IpPrefixTable table(
        std::vector<PrefixValue>{{pfx("1.0.0.0/8"), 0}, {pfx("1.2.3.0/25"), 100}});
    EXPECT_EQ(table.lookup(v4("1.2.3.4")), 100u);
    EXPECT_EQ(table.lookup(v4("1.2.3.200")), 0u);
}

TEST(IpPrefixTable, V4MappedV6UsesTheV4Table) {
    const IpPrefixTable table(std::vector<PrefixValue>{
        {pfx("10.0.0.0/8"), 1}, {pfx("::ffff:192.168.0.0/112"), 2}, {pfx("::/0"), 3}});
    EXPECT_EQ(table.lookup(*IpAddress::parse("::ffff:10.1.2.3")), 1u);
    EXPECT_EQ(table.lookup(v4("192.168.7.7")), 2u);
    EXPECT_EQ(table.lookup(*IpAddress::parse("::ffff:192.168.7.7")), 2u);
    // Mapped traffic is IPv4 traffic: the v6 default does not cover it.
    EXPECT_EQ(table.lookup(*IpAddress::parse("::ffff:8.8.8.8")), std::nullopt);
    EXPECT_EQ(table.lookup(*IpAddress::parse("2001::1")), 3u);
    EXPECT_EQ(table.v4_prefix_count(), 2u);
}

TEST(IpPrefixTable, SetMembership) {
    const std::vector<Prefix> set = {pfx("1.0.1.0/24"), pfx("240e::/20")};
    const auto table = IpPrefixTable::from_set(set);
    EXPECT_TRUE(table.contains(v4("1.0.1.200")));
    EXPECT_FALSE(table.contains(v4("1.0.2.1")));
    EXPECT_TRUE(table.contains(*IpAddress::parse("240e:fff::1")));
    EXPECT_FALSE(table.contains(*IpAddress::parse("240f::1")));
}

TEST(IpPrefixTable, RejectsValueCollidingWithSentinel) {
    const std::vector<PrefixValue> entries = {{pfx("1.0.0.0/8"), IpPrefixTable::kNoMatch}};
    EXPECT_THROW(IpPrefixTable{entries}, std::invalid_argument);
}

}  // namespace
}  // namespace shunt::rules

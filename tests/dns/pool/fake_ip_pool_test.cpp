// FakeIpPool behaviours one at a time, in memory. Persistence is in
// fake_ip_pool_persistence_test.cpp; the randomized check of everything together, on both
// stores, in fake_ip_pool_property_test.cpp.
#include "dns/pool/fake_ip_pool.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/dns/pool/pool_test_util.hpp"

namespace shunt::dns {
namespace {

using Family = IpAddress::Family;
using test::address;
using test::memory_pool;
using test::name;
using test::offset;
using test::prefix;

TEST(FakeIpPool, HandsOutSequentialAddressesAndNeverTheReservedOnes) {
    auto pool = memory_pool("198.18.0.0/29", "fc00::/125");  // 8 addresses each
    for (Family family : {Family::v4, Family::v6}) {
        EXPECT_EQ(pool->capacity(family), 5u);
        for (int i = 0; i < 5; ++i) EXPECT_EQ(offset(*pool, pool->assign(name(i), family)), 2u + i);
        for (int i = 5; i < 40; ++i) {  // reclaiming: still never 0, 1 or 7
            auto offset_given = offset(*pool, pool->assign(name(i), family));
            EXPECT_GE(offset_given, 2u);
            EXPECT_LE(offset_given, 6u);
        }
        EXPECT_EQ(pool->size(family), 5u);
    }
    EXPECT_EQ(pool->assign(name(39), Family::v4), pool->assign(name(39), Family::v4));
    EXPECT_TRUE(pool->in_range(address("198.18.0.1")));  // the gateway is a fake IP...
    EXPECT_FALSE(pool->lookup(address("198.18.0.1")));   // ...that stands for no name
    EXPECT_FALSE(pool->in_range(address("198.18.0.8")));
    EXPECT_FALSE(pool->lookup(address("10.0.0.1")));
}

TEST(FakeIpPool, RangesAreCheckedAndCapacityIsCapped) {
    EXPECT_THROW(memory_pool("198.18.0.0/31"), std::invalid_argument);
    EXPECT_THROW(memory_pool("fc00::/64"), std::invalid_argument);
    EXPECT_THROW(memory_pool("198.18.0.0/15", "198.19.0.0/16"), std::invalid_argument);
    EXPECT_EQ(memory_pool("198.18.0.0/30")->capacity(Family::v4), 1u);
    EXPECT_EQ(memory_pool("198.18.0.0/15")->capacity(Family::v4), 131069u);
    auto big = memory_pool("10.0.0.0/8", "fc00::/64");
    EXPECT_EQ(big->capacity(Family::v4), std::uint64_t{1} << 20);
    EXPECT_EQ(big->capacity(Family::v6), std::uint64_t{1} << 20);
}

TEST(FakeIpPool, WithoutAnIPv6RangeIPv6IsALogicError) {
    auto pool = memory_pool("198.18.0.0/24");
    EXPECT_FALSE(pool->has_family(Family::v6));
    EXPECT_THROW(pool->assign("a.example", Family::v6), std::logic_error);
    EXPECT_FALSE(pool->find("a.example", Family::v6));
    EXPECT_FALSE(pool->lookup(address("fc00::2")));
    EXPECT_EQ(pool->size(Family::v6), 0u);
    EXPECT_THROW(pool->assign("", Family::v4), std::invalid_argument);
    EXPECT_THROW(pool->assign(std::string(256, 'a'), Family::v4), std::invalid_argument);
}

TEST(FakeIpPool, LookupTouchesFindDoesNot) {
    auto pool = memory_pool("198.18.0.0/29");  // capacity 5
    std::vector<IpAddress> given;
    for (int i = 0; i < 5; ++i) given.push_back(pool->assign(name(i), Family::v4));
    EXPECT_EQ(pool->lookup(given[0]), name(0));              // 0 becomes the newest
    EXPECT_EQ(pool->find(name(1), Family::v4), given[1]);    // 1 stays the oldest
    EXPECT_EQ(pool->assign(name(5), Family::v4), given[1]);  // so 1 is reclaimed
    EXPECT_FALSE(pool->find(name(1), Family::v4));
    EXPECT_EQ(pool->lookup(given[1]), name(5));
    EXPECT_EQ(pool->assign(name(6), Family::v4), given[2]);
}

TEST(FakeIpPool, DroppedAddressesAreReusedOnlyAfterNeverUsedOnesLowestFirst) {
    auto pool = memory_pool("198.18.0.0/28");  // capacity 13
    for (int i = 0; i < 6; ++i) pool->assign(name(i), Family::v4);
    EXPECT_EQ(pool->drop_if([](std::string_view n) { return n == name(4) || n == name(1); }), 2u);
    EXPECT_EQ(pool->size(Family::v4), 4u);
    EXPECT_FALSE(pool->lookup(address("198.18.0.3")));
    for (int i = 6; i < 13; ++i)  // offsets 8..14: the never-used ones first
        EXPECT_EQ(offset(*pool, pool->assign(name(i), Family::v4)), 2u + i);
    EXPECT_EQ(offset(*pool, pool->assign(name(13), Family::v4)), 3u);  // name(1)'s, the lowest
    EXPECT_EQ(offset(*pool, pool->assign(name(14), Family::v4)), 6u);  // name(4)'s
    EXPECT_EQ(offset(*pool, pool->assign(name(15), Family::v4)), 2u);  // full: LRU is name(0)
}

TEST(FakeIpPool, ConcurrentUseKeepsTheMapsConsistent) {
    auto pool = memory_pool("198.18.0.0/24", "fc00::/120");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&pool, t] {
            for (int i = 0; i < 5000; ++i) {
                const Family family = (i + t) % 2 ? Family::v4 : Family::v6;
                auto given = pool->assign(name((i * 7 + t * 13) % 400), family);
                pool->lookup(given);
                pool->find(name(i % 400), family);
                if (i % 1000 == 999)
                    pool->drop_if([t](std::string_view n) { return n[5] == '1' + t; });
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (Family family : {Family::v4, Family::v6}) {
        EXPECT_LE(pool->size(family), pool->capacity(family));
        for (int i = 0; i < 400; ++i)
            if (auto given = pool->find(name(i), family)) {
                EXPECT_EQ(pool->lookup(*given), name(i));
            }
    }
}

}  // namespace
}  // namespace shunt::dns

// ProcessCache: what each lookup costs, counted through stats(), against real processes.
#include "rules/process/process_cache.hpp"

#include <sys/socket.h>

#include <chrono>

#include <gtest/gtest.h>

#include "tests/rules/process/socket_fixtures.hpp"

namespace shunt::rules {
namespace {

using namespace std::chrono_literals;
using test::spawn_client;
using test::TestSocket;

ProcessCache::Options options(std::chrono::milliseconds scan_interval,
                              std::chrono::milliseconds ttl = 2000ms, std::size_t capacity = 256,
                              std::size_t recent_pids = 8) {
    ProcessCache::Options o;
    o.min_full_scan_interval = scan_interval;
    o.owner_ttl = ttl;
    o.owner_capacity = capacity;
    o.recent_pids = recent_pids;
    return o;
}

TEST(ProcessCache, SecondLookupOfAFlowIsServedFromTheOwnerCache) {
    TestSocket listener("127.0.0.1", SOCK_STREAM);
    auto child = spawn_client("127.0.0.1", listener.local().port, false);
    const auto peer = listener.next_peer();
    ASSERT_TRUE(peer);
    ProcessCache cache(options(0ms));
    const auto first = cache.find(Network::tcp, *peer, listener.local());
    ASSERT_TRUE(first);
    EXPECT_EQ(first->pid, child->pid());
    EXPECT_EQ(cache.stats().full_scans, 1u);
    EXPECT_EQ(cache.stats().diag_queries, 1u);

    const auto second = cache.find(Network::tcp, *peer, listener.local());
    EXPECT_EQ(second, first);
    const auto stats = cache.stats();
    EXPECT_EQ(stats.lookups, 2u);
    EXPECT_EQ(stats.owner_cache_hits, 1u);
    EXPECT_EQ(stats.diag_queries, 1u);
    EXPECT_EQ(stats.full_scans, 1u);
}

TEST(ProcessCache, ExpiredOwnerIsResolvedAgainFromTheInodeMapWithoutAScan) {
    TestSocket listener("127.0.0.1", SOCK_STREAM);
    auto child = spawn_client("127.0.0.1", listener.local().port, false);
    const auto peer = listener.next_peer();
    ASSERT_TRUE(peer);
    ProcessCache cache(options(0ms, 0ms));  // ttl 0: nothing is kept in the owner cache
    ASSERT_TRUE(cache.find(Network::tcp, *peer, listener.local()));
    const auto again = cache.find(Network::tcp, *peer, listener.local());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->pid, child->pid());
    const auto stats = cache.stats();
    EXPECT_EQ(stats.owner_cache_hits, 0u);
    EXPECT_EQ(stats.diag_queries, 2u);
    EXPECT_EQ(stats.inode_cache_hits, 1u);
    EXPECT_EQ(stats.full_scans, 1u);
}

TEST(ProcessCache, NewSocketOfARecentOwnerIsFoundByATargetedScan) {
    TestSocket listener("127.0.0.1", SOCK_STREAM);
    auto child = spawn_client("127.0.0.1", listener.local().port, false, 2);
    ProcessCache cache(options(1h));  // one full scan for the whole test
    const auto first_peer = listener.next_peer();
    ASSERT_TRUE(first_peer);
    ASSERT_TRUE(cache.find(Network::tcp, *first_peer, listener.local()));
    listener.poke_last_peer();  // the child opens its second connection only now
    const auto second_peer = listener.next_peer();
    ASSERT_TRUE(second_peer);
    const auto owner = cache.find(Network::tcp, *second_peer, listener.local());
    ASSERT_TRUE(owner);
    EXPECT_EQ(owner->pid, child->pid());
    const auto stats = cache.stats();
    EXPECT_EQ(stats.full_scans, 1u);
    EXPECT_EQ(stats.targeted_scans, 1u);
    EXPECT_EQ(stats.rate_limited_misses, 0u);
}

TEST(ProcessCache, NewProcessIsFoundWithoutAFullScan) {
    TestSocket listener("127.0.0.1", SOCK_STREAM);
    ProcessCache cache(options(1h, 2000ms, 256, 0));  // one full scan, no targeted scans
    auto first_child = spawn_client("127.0.0.1", listener.local().port, false);
    const auto first_peer = listener.next_peer();
    ASSERT_TRUE(first_peer);
    ASSERT_TRUE(cache.find(Network::tcp, *first_peer, listener.local()));

    auto second_child = spawn_client("127.0.0.1", listener.local().port, false);
    const auto second_peer = listener.next_peer();
    ASSERT_TRUE(second_peer);
    const auto owner = cache.find(Network::tcp, *second_peer, listener.local());
    ASSERT_TRUE(owner);
    EXPECT_EQ(owner->pid, second_child->pid());
    const auto stats = cache.stats();
    EXPECT_EQ(stats.full_scans, 1u);
    EXPECT_EQ(stats.new_process_scans, 1u);
    EXPECT_EQ(stats.rate_limited_misses, 0u);
}

TEST(ProcessCache, OldProcessMissInsideTheScanIntervalDoesNotRescanProc) {
    TestSocket listener("127.0.0.1", SOCK_STREAM);
    auto child = spawn_client("127.0.0.1", listener.local().port, false, 2);
    ProcessCache cache(options(1h, 2000ms, 256, 0));  // no targeted scans either
    const auto first_peer = listener.next_peer();
    ASSERT_TRUE(first_peer);
    ASSERT_TRUE(cache.find(Network::tcp, *first_peer, listener.local()));
    listener.poke_last_peer();
    const auto second_peer = listener.next_peer();
    ASSERT_TRUE(second_peer);
    // The child was covered by the full scan, so only another full scan would find its
    // new socket, and the interval forbids one.
    EXPECT_FALSE(cache.find(Network::tcp, *second_peer, listener.local()));
    auto stats = cache.stats();
    EXPECT_EQ(stats.full_scans, 1u);
    EXPECT_EQ(stats.rate_limited_misses, 1u);
    EXPECT_EQ(stats.not_found, 1u);

    // clear() lifts the limit: the next miss scans again and finds it.
    cache.clear();
    const auto owner = cache.find(Network::tcp, *second_peer, listener.local());
    ASSERT_TRUE(owner);
    EXPECT_EQ(owner->pid, child->pid());
    EXPECT_EQ(cache.stats().full_scans, 2u);
}

TEST(ProcessCache, OwnerCacheEvictsTheLeastRecentlyUsedFlow) {
    TestSocket receiver("127.0.0.1", SOCK_DGRAM);
    auto child = spawn_client("127.0.0.1", receiver.local().port, true, 2);
    ProcessCache cache(options(0ms, 2000ms, 1));  // room for one flow
    const auto first = receiver.next_peer();
    ASSERT_TRUE(first);
    receiver.poke_last_peer();
    const auto second = receiver.next_peer();
    ASSERT_TRUE(second);
    ASSERT_NE(first->port, second->port);
    ASSERT_TRUE(cache.find(Network::udp, *first, std::nullopt));
    ASSERT_TRUE(cache.find(Network::udp, *second, std::nullopt));
    ASSERT_TRUE(cache.find(Network::udp, *first, std::nullopt));  // evicted by `second`
    auto stats = cache.stats();
    EXPECT_EQ(stats.owner_cache_hits, 0u);
    EXPECT_EQ(stats.diag_queries, 3u);
    ASSERT_TRUE(cache.find(Network::udp, *first, std::nullopt));  // now the cached one
    EXPECT_EQ(cache.stats().owner_cache_hits, 1u);

    cache.clear();
    ASSERT_TRUE(cache.find(Network::udp, *first, std::nullopt));
    EXPECT_EQ(cache.stats().owner_cache_hits, 1u);
}

}  // namespace
}  // namespace shunt::rules

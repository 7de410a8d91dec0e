// Property test of the fake-IP pool: 10^5 random operations against a plain reference
// model, run once per store backend (the same pool must behave the same on each).
//
// Checked after every operation: the address (or name) the pool gives equals the
// model's, which implies a consistent two-way map, the allocation policy (sequential,
// then lowest released, then LRU) and that a reclaimed mapping is always the model's
// least recently used one; reserved addresses are never issued; sizes never exceed the
// capacity. For the file store, every 5,000 operations the pool is also reopened from
// its file after a clean shutdown (same mapping and same LRU order: the run simply
// continues against the unchanged model) and from a crash snapshot (same mapping, and
// allocation continues above every address ever used).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <list>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "dns/pool/fake_ip_pool.hpp"
#include "dns/pool/file_pool_store.hpp"
#include "dns/pool/memory_pool_store.hpp"
#include "tests/dns/pool/pool_test_util.hpp"
#include "tests/support/child_process.hpp"

namespace shunt::dns {
namespace {

using Family = IpAddress::Family;

constexpr std::uint64_t kRangeSize = 32;  // a /27 and a /123
constexpr std::uint64_t kCapacity = kRangeSize - 3;
constexpr int kNames = 50;
constexpr int kOperations = 100000;

// The reference: obviously-correct containers, linear scans, no cleverness.
struct FamilyModel {
    std::map<std::string, std::uint64_t> offset_of;
    std::map<std::uint64_t, std::string> name_at;
    std::list<std::string> lru;  // least recently used first
    std::uint64_t next_unused = 2;
    std::set<std::uint64_t> released;

    void touch(const std::string& name) {
        lru.remove(name);
        lru.push_back(name);
    }
    void unmap(const std::string& name) {
        name_at.erase(offset_of.at(name));
        offset_of.erase(name);
        lru.remove(name);
    }
    std::uint64_t assign(const std::string& name) {
        if (auto it = offset_of.find(name); it != offset_of.end()) {
            touch(name);
            return it->second;
        }
        std::uint64_t offset;
        if (next_unused < 2 + kCapacity) {
            offset = next_unused++;
        } else if (!released.empty()) {
            offset = *released.begin();
            released.erase(released.begin());
        } else {
            offset = offset_of.at(lru.front());
            unmap(lru.front());
        }
        offset_of[name] = offset;
        name_at[offset] = name;
        lru.push_back(name);
        return offset;
    }
    std::optional<std::string> lookup(std::uint64_t offset) {
        auto it = name_at.find(offset);
        if (it == name_at.end()) return std::nullopt;
        touch(it->second);
        return it->second;
    }
    void release(const std::string& name) {
        released.insert(offset_of.at(name));
        unmap(name);
    }
};

struct Backend {
    const char* name;
    bool persistent;
};
void PrintTo(const Backend& backend, std::ostream* out) {
    *out << backend.name;
}

class FakeIpPoolProperty : public ::testing::TestWithParam<Backend> {
  protected:
    std::unique_ptr<FakeIpPool> open(const std::string& path) {
        std::unique_ptr<PoolStore> store;
        if (GetParam().persistent)
            store = std::make_unique<FilePoolStore>(path);
        else
            store = std::make_unique<MemoryPoolStore>();
        return std::make_unique<FakeIpPool>(ranges_[0], ranges_[1], std::move(store));
    }
    const Prefix& range(Family family) const { return ranges_[family == Family::v4 ? 0 : 1]; }

    // Same mapping as the model, checked without touching the LRU.
    void expect_same_mapping(const FakeIpPool& pool, const FamilyModel models[2],
                             const std::vector<std::string>& names) {
        for (Family family : {Family::v4, Family::v6}) {
            const FamilyModel& model = models[family == Family::v4 ? 0 : 1];
            ASSERT_EQ(pool.size(family), model.offset_of.size());
            for (const std::string& name : names) {
                auto found = pool.find(name, family);
                auto expected = model.offset_of.find(name);
                ASSERT_EQ(found.has_value(), expected != model.offset_of.end()) << name;
                if (found) {
                    ASSERT_EQ(*range(family).offset_of(*found), expected->second) << name;
                }
            }
        }
    }

    test::TempDir dir_;
    Prefix ranges_[2] = {test::prefix("198.18.0.32/27"), test::prefix("fd00:5::20/123")};
};

TEST_P(FakeIpPoolProperty, RandomOperationsMatchTheReferenceModel) {
    const std::string path = dir_.file("fakeip.db");
    std::vector<std::string> names;
    for (int i = 0; i < kNames; ++i) names.push_back("n" + std::to_string(i) + ".test");
    FamilyModel models[2];
    auto pool = open(path);
    std::mt19937_64 rng(20240501);
    auto pick = [&](std::uint64_t n) { return static_cast<std::uint64_t>(rng() % n); };
    std::uint64_t reclaims = 0, drops = 0, reopens = 0;

    for (int step = 1; step <= kOperations; ++step) {
        const Family family = pick(2) ? Family::v4 : Family::v6;
        FamilyModel& model = models[family == Family::v4 ? 0 : 1];
        const std::string& name = names[pick(kNames)];
        const std::uint64_t dice = pick(100);
        SCOPED_TRACE("step " + std::to_string(step));

        if (dice < 55) {
            const bool reclaiming = !model.offset_of.count(name) && model.released.empty() &&
                                    model.next_unused == 2 + kCapacity;
            reclaims += reclaiming;
            const std::uint64_t expected = model.assign(name);
            const IpAddress given = pool->assign(name, family);
            const std::uint64_t offset = *range(family).offset_of(given);
            ASSERT_GE(offset, 2u) << "network or gateway address issued";
            ASSERT_LT(offset, kRangeSize - 1) << "last address issued";
            ASSERT_EQ(offset, expected) << name << (reclaiming ? " (reclaiming the LRU)" : "");
        } else if (dice < 75) {
            const std::uint64_t offset = pick(kRangeSize);
            ASSERT_EQ(pool->lookup(range(family).at(offset)), model.lookup(offset)) << offset;
        } else if (dice < 90) {
            auto found = pool->find(name, family);
            auto expected = model.offset_of.find(name);
            ASSERT_EQ(found.has_value(), expected != model.offset_of.end()) << name;
            if (found) {
                ASSERT_EQ(*range(family).offset_of(*found), expected->second);
            }
        } else if (dice < 91) {
            const std::uint64_t residue = pick(5);
            auto doomed = [&](std::string_view n) {
                return std::hash<std::string_view>{}(n) % 5 == residue;
            };
            std::size_t expected = 0;
            for (FamilyModel& m : models) {
                std::vector<std::string> victims;
                for (const auto& [n, offset] : m.offset_of)
                    if (doomed(n)) victims.push_back(n);
                for (const auto& n : victims) m.release(n);
                expected += victims.size();
            }
            ASSERT_EQ(pool->drop_if(doomed), expected);
            drops += expected;
        } else {
            ASSERT_EQ(pool->size(family), model.offset_of.size());
            ASSERT_LE(pool->size(family), pool->capacity(family));
            ASSERT_EQ(pool->capacity(family), kCapacity);
            const std::uint64_t offset = pick(kRangeSize);
            ASSERT_TRUE(pool->in_range(range(family).at(offset)));
            ASSERT_FALSE(pool->in_range(range(family).at(kRangeSize + offset)));
        }

        if (step % 1000 == 0) {
            ASSERT_NO_FATAL_FAILURE(expect_same_mapping(*pool, models, names));
        }
        if (!GetParam().persistent) continue;
        if (step % 5000 == 2500) {
            // A copy of the live file is what a kill -9 now would leave behind.
            const std::string copy = dir_.file("crash-copy.db");
            std::filesystem::copy_file(path, copy,
                                       std::filesystem::copy_options::overwrite_existing);
            auto crashed = open(copy);
            ASSERT_NO_FATAL_FAILURE(expect_same_mapping(*crashed, models, names));
            for (Family f : {Family::v4, Family::v6}) {
                const FamilyModel& m = models[f == Family::v4 ? 0 : 1];
                if (m.next_unused < 2 + kCapacity) {  // never an address used before the crash
                    ASSERT_EQ(*range(f).offset_of(crashed->assign("fresh.test", f)), m.next_unused);
                }
            }
            crashed.reset();
            std::filesystem::remove(copy);
        } else if (step % 5000 == 0) {
            pool.reset();  // clean shutdown
            pool = open(path);
            ++reopens;
            ASSERT_NO_FATAL_FAILURE(expect_same_mapping(*pool, models, names));
        }
    }
    // The run must have exercised what it claims to check.
    EXPECT_GT(reclaims, 1000u);
    EXPECT_GT(drops, 100u);
    if (GetParam().persistent) {
        EXPECT_EQ(reopens, 20u);
        // Compaction keeps the log bounded: 2 x live + 4096 records of at most ~40 bytes.
        EXPECT_LT(std::filesystem::file_size(path), (2 * 2 * kCapacity + 4096 + 1) * 40);
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, FakeIpPoolProperty,
                         ::testing::Values(Backend{"memory", false}, Backend{"file", true}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace shunt::dns

// StreamIdAllocator against a reference model (docs/mux.md, "Ids"): one more than the last
// id given out, wrapping 65535 -> 1, skipping ids still held; never an id in use.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "outbound/mux/session/stream_ids.hpp"

namespace shunt::outbound::mux {
namespace {

// What the allocator must answer after `last`, given the ids held.
std::uint16_t expected_next(std::uint16_t last, const std::vector<bool>& held) {
    std::uint16_t id = last;
    do {
        id = id == 65535 ? 1 : static_cast<std::uint16_t>(id + 1);
    } while (held[id]);
    return id;
}

TEST(StreamIdAllocator, RandomCyclesNeverGiveOutAHeldIdAndWrapInOrder) {
    StreamIdAllocator ids;
    std::vector<bool> held(65536, false);
    std::vector<std::uint16_t> short_lived;  // released soon, in random order
    std::set<std::uint16_t> long_lived;      // held for most of the run
    std::mt19937 random(42);
    std::uint16_t last = 0;
    std::size_t wraps = 0;
    std::size_t skipped_held = 0;

    for (int cycle = 0; cycle < 200'000; ++cycle) {
        const auto id = ids.allocate();
        ASSERT_TRUE(id) << "cycle " << cycle;
        ASSERT_NE(*id, 0) << "id 0 is the carrier";
        ASSERT_FALSE(held[*id]) << "id " << *id << " given out while held (cycle " << cycle << ")";
        const std::uint16_t want = expected_next(last, held);
        ASSERT_EQ(*id, want) << "after " << last << " (cycle " << cycle << ")";
        if (*id < last) ++wraps;
        if (*id != (last == 65535 ? 1 : last + 1)) ++skipped_held;
        last = *id;
        held[*id] = true;
        ASSERT_TRUE(ids.in_use(*id));

        // About 1 in 50 lives long; the rest are released within ~1,000 cycles.
        if (random() % 50 == 0 && long_lived.size() < 2000)
            long_lived.insert(*id);
        else
            short_lived.push_back(*id);
        while (short_lived.size() > 1000 || (!short_lived.empty() && random() % 3 == 0)) {
            const std::size_t pick = random() % short_lived.size();
            const std::uint16_t gone = short_lived[pick];
            short_lived[pick] = short_lived.back();
            short_lived.pop_back();
            ids.release(gone);
            held[gone] = false;
            ASSERT_FALSE(ids.in_use(gone));
        }
        // Now and then a long-lived one ends too.
        if (random() % 500 == 0 && !long_lived.empty()) {
            const std::uint16_t gone = *long_lived.begin();
            long_lived.erase(long_lived.begin());
            ids.release(gone);
            held[gone] = false;
        }
        ASSERT_EQ(ids.count(), short_lived.size() + long_lived.size());
    }
    EXPECT_GE(wraps, 2U) << "the run must wrap 65535 -> 1";
    EXPECT_GT(skipped_held, 100U) << "the run must meet held ids after wrapping";
}

TEST(StreamIdAllocator, ExhaustionReturnsNulloptAndAReleasedIdComesBack) {
    StreamIdAllocator ids;
    for (std::uint32_t i = 1; i <= 65535; ++i) {
        const auto id = ids.allocate();
        ASSERT_TRUE(id);
        ASSERT_EQ(*id, i);
    }
    EXPECT_EQ(ids.count(), 65535U);
    EXPECT_FALSE(ids.allocate());
    EXPECT_FALSE(ids.allocate()) << "still exhausted";
    ids.release(40000);
    EXPECT_EQ(ids.allocate(), std::optional<std::uint16_t>(40000));
    EXPECT_FALSE(ids.allocate());
}

TEST(StreamIdAllocator, ReleasingZeroOrAnUnknownIdIsHarmless) {
    StreamIdAllocator ids;
    ids.release(0);
    ids.release(77);
    EXPECT_EQ(ids.count(), 0U);
    EXPECT_EQ(ids.allocate(), std::optional<std::uint16_t>(1));
    EXPECT_EQ(ids.allocate(), std::optional<std::uint16_t>(2));
    ids.release(0);
    ids.release(3);  // not given out yet
    ids.release(2);
    ids.release(2);  // twice
    EXPECT_EQ(ids.count(), 1U);
    EXPECT_TRUE(ids.in_use(1));
    EXPECT_FALSE(ids.in_use(0));
    EXPECT_EQ(ids.allocate(), std::optional<std::uint16_t>(3)) << "next after the last given out";
    EXPECT_EQ(ids.count(), 2U);
}

}  // namespace
}  // namespace shunt::outbound::mux

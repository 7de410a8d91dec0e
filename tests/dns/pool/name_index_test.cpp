#include "dns/pool/name_index.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace shunt::dns {
namespace {

// Random inserts and erases against std::unordered_map, with hashes squeezed into a few
// values so that long probe runs, wrap-around and backward shifts all happen.
TEST(NameIndex, AgreesWithAReferenceMapUnderHeavyCollisions) {
    std::mt19937 rng(7);
    std::vector<std::string> names;
    for (int i = 0; i < 300; ++i) names.push_back("name-" + std::to_string(i));
    auto squeezed_hash = [](const std::string& name) {
        return NameIndex::hash_of(name) % 7 * 0x9e3779b1u;  // 7 distinct hashes
    };
    NameIndex index;
    std::unordered_map<std::string, std::uint32_t> model;  // name -> slot
    std::vector<std::string> slot_names(names.size());
    auto name_of = [&](std::uint32_t slot) { return std::string_view(slot_names[slot]); };

    for (int step = 0; step < 20000; ++step) {
        const std::uint32_t slot = rng() % names.size();
        const std::string& name = names[slot];
        const bool present = model.count(name) > 0;
        if (!present && rng() % 3 != 0) {
            slot_names[slot] = name;
            index.insert(slot, squeezed_hash(name));
            model[name] = slot;
        } else if (present) {
            index.erase(slot, squeezed_hash(name));
            model.erase(name);
        }
        ASSERT_EQ(index.size(), model.size());
        if (step % 97 == 0) {
            for (std::uint32_t i = 0; i < names.size(); ++i) {
                auto found = index.find(names[i], squeezed_hash(names[i]), name_of);
                ASSERT_EQ(found.has_value(), model.count(names[i]) > 0) << names[i];
                if (found) {
                    ASSERT_EQ(*found, i);
                }
            }
        }
    }
}

TEST(NameIndex, EmptyIndexFindsNothing) {
    NameIndex index;
    EXPECT_FALSE(
        index.find("x", NameIndex::hash_of("x"), [](std::uint32_t) { return std::string_view(); }));
    index.erase(3, 42);  // erasing what is not there is harmless
    EXPECT_EQ(index.size(), 0u);
}

}  // namespace
}  // namespace shunt::dns

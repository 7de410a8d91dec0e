// [[groups]] as group_section_spec (every group) and group_type_spec (the probe of
// url-test and fallback groups) declare it: examples/full.toml shows every key in a group
// of its type, with its default, and writes no undeclared key; a probe key in a group
// without it is named as such; every integer key's range is enforced.
#include <gtest/gtest.h>

#include "config/config_groups_reader.hpp"
#include "config/config_loader.hpp"
#include "tests/support/config_errors.hpp"
#include "tests/support/section_spec_check.hpp"

namespace shunt {
namespace {

using test::error_lines;
using test::has_error;

const std::string kFull = std::string(SHUNT_SOURCE_DIR) + "/examples/full.toml";
constexpr GroupType kTypes[] = {GroupType::select, GroupType::url_test, GroupType::fallback};

std::string group(GroupType type, const std::string& more) {
    return "[[groups]]\nname = \"g\"\ntype = \"" + std::string(to_string(type)) +
           "\"\nproxies = [\"DIRECT\"]\n" + more +
           "[dns]\nupstreams = [\"udp://127.0.0.1:5353\"]\n";
}

class GroupSectionSpec : public ::testing::Test {
  protected:
    void SetUp() override {
        full_ = load_config(kFull);
        ASSERT_TRUE(full_.config) << ::testing::PrintToString(error_lines(full_));
        texts_ = test::entry_texts(kFull, "[[groups]]");
        ASSERT_EQ(texts_.size(), full_.config->groups.size());
    }

    std::vector<test::ShownEntry<GroupConfig>> entries(std::optional<GroupType> type) const {
        std::vector<test::ShownEntry<GroupConfig>> out;
        for (std::size_t i = 0; i < texts_.size(); ++i)
            if (!type || full_.config->groups[i].type == *type)
                out.push_back({texts_[i], full_.config->groups[i]});
        return out;
    }

    ConfigLoadResult full_;
    std::vector<std::string> texts_;
};

TEST_F(GroupSectionSpec, FullTomlShowsEveryKeyInAGroupOfItsType) {
    test::expect_entries_show_every_key(group_section_spec(), entries(std::nullopt), "[[groups]]",
                                        GroupConfig{});
    for (auto type : kTypes)
        test::expect_entries_show_every_key(
            group_type_spec(type), entries(type),
            "[[groups]] type = \"" + std::string(to_string(type)) + "\"", GroupConfig{});
}

TEST_F(GroupSectionSpec, FullTomlWritesOnlyDeclaredKeys) {
    for (std::size_t i = 0; i < texts_.size(); ++i) {
        std::set<std::string> declared;
        test::add_names(declared, group_section_spec());
        test::add_names(declared, group_type_spec(full_.config->groups[i].type));
        test::expect_written_keys_declared(texts_[i], true, declared,
                                           "[[groups]] " + full_.config->groups[i].name);
    }
}

TEST(GroupSectionSpecs, AProbeKeyOfAnotherTypeIsNamedAsSuch) {
    int checked = 0;
    for (auto type : kTypes) {
        for (const auto& key : group_type_spec(GroupType::url_test).keys) {
            if (group_type_spec(type).find(key.name)) continue;
            const std::string name(key.name);
            const auto r = parse_config(group(type, name + " = 1\n"), "c.toml");
            EXPECT_TRUE(has_error(
                r, "groups[0]." + name +
                       (type == GroupType::select ? ": only for url-test and fallback groups"
                                                  : ": only for url-test groups")))
                << ::testing::PrintToString(error_lines(r));
            ++checked;
        }
    }
    EXPECT_EQ(checked, 5);  // url, interval_s, timeout_ms, tolerance_ms; tolerance_ms
    // url-test has every type's keys.
    for (auto type : kTypes)
        for (const auto& key : group_type_spec(type).keys)
            EXPECT_TRUE(group_type_spec(GroupType::url_test).find(key.name)) << key.name;
}

TEST(GroupSectionSpecs, RangesAreEnforced) {
    test::expect_ranges_enforced(group_type_spec(GroupType::url_test), "groups[0].",
                                 [](const std::string& key, std::int64_t value) {
                                     return group(GroupType::url_test,
                                                  key + " = " + std::to_string(value) + "\n");
                                 });
}

TEST(GroupSectionSpecs, EveryKeyHasADocLineAndShowsItsValue) {
    test::expect_every_key_documented(group_section_spec(), GroupConfig{});
    for (auto type : kTypes)
        test::expect_every_key_documented(group_type_spec(type), GroupConfig{});
}

}  // namespace
}  // namespace shunt

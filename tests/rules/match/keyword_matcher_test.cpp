// KeywordMatcher against overlap cases and a brute-force substring reference.
#include "rules/match/keyword_matcher.hpp"

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace shunt::rules {
namespace {

KeywordMatcher build(const std::vector<std::pair<std::string, std::uint32_t>>& keywords) {
    KeywordMatcherBuilder builder;
    for (const auto& [keyword, value] : keywords) builder.add(keyword, value);
    return builder.build();
}

TEST(KeywordMatcher, EmptyMatcherMatchesNothing) {
    KeywordMatcher empty;
    EXPECT_FALSE(empty.match("google.com"));
    auto built = KeywordMatcherBuilder{}.build();
    EXPECT_TRUE(built.empty());
    EXPECT_FALSE(built.match("google.com"));
    EXPECT_FALSE(built.match(""));
}

TEST(KeywordMatcher, OverlappingKeywordsReportTheLowestValue) {
    auto m = build({{"he", 3}, {"she", 2}, {"hers", 1}, {"his", 4}});
    EXPECT_EQ(m.match("ushers.com"), 1u);  // she, he and hers all occur
    EXPECT_EQ(m.match("ushe.com"), 2u);    // she and he; hers does not
    EXPECT_EQ(m.match("the.org"), 3u);
    EXPECT_EQ(m.match("this.org"), 4u);
    EXPECT_EQ(m.match("xhxexrxs"), std::nullopt);
    EXPECT_EQ(m.match("hershe"), 1u);
    EXPECT_FALSE(m.match(""));
    EXPECT_FALSE(m.match("h"));

    // The lower value hides inside a longer keyword: found only through the failure link.
    auto inner = build({{"she", 5}, {"he", 1}, {"hers", 3}});
    EXPECT_EQ(inner.match("she"), 1u);
    EXPECT_EQ(inner.match("ashers"), 1u);
}

TEST(KeywordMatcher, KeywordFoundOnlyThroughFailureLinks) {
    // "abcd" fails at 'x' back to "bc" whose continuation "bcx" is a keyword.
    auto m = build({{"abcd", 1}, {"bcx", 2}, {"c", 9}});
    EXPECT_EQ(m.match("zabcxz"), 2u);
    EXPECT_EQ(m.match("abcd"), 1u);
    EXPECT_EQ(m.match("zzcz"), 9u);
}

TEST(KeywordMatcher, KeywordAtEitherEndAndWholeName) {
    auto m = build({{"google", 5}, {"cn", 6}});
    EXPECT_EQ(m.match("google"), 5u);
    EXPECT_EQ(m.match("googleapis.com"), 5u);
    EXPECT_EQ(m.match("www.baidu.cn"), 6u);
    EXPECT_FALSE(m.match("gogle.com"));
}

TEST(KeywordMatcher, DuplicateKeywordsKeepTheLowestValue) {
    auto m = build({{"ads", 8}, {"ads", 3}, {"ad", 5}});
    EXPECT_EQ(m.match("ads.example"), 3u);
    EXPECT_EQ(m.match("adx.example"), 5u);
}

TEST(KeywordMatcher, RejectsBadKeywords) {
    KeywordMatcherBuilder builder;
    EXPECT_THROW(builder.add("", 1), std::invalid_argument);
    EXPECT_THROW(builder.add("x", UINT32_MAX), std::invalid_argument);
}

TEST(KeywordMatcher, AllByteValuesAsClasses) {
    KeywordMatcherBuilder builder;
    for (int byte = 0; byte < 256; ++byte)
        builder.add(std::string(1, static_cast<char>(byte)), static_cast<std::uint32_t>(byte));
    auto m = builder.build();
    EXPECT_EQ(m.class_count(), 257u);
    EXPECT_EQ(m.match(std::string("\xff\x80", 2)), 0x80u);
    EXPECT_EQ(m.match("za"), static_cast<std::uint32_t>('a'));
}

TEST(KeywordMatcher, AgreesWithBruteForceOnRandomKeywords) {
    for (std::uint32_t seed : {11u, 12u, 13u}) {
        std::mt19937 rng(seed);
        auto random_text = [&](int min_len, int max_len, const char* alphabet, int size) {
            std::uniform_int_distribution<int> len(min_len, max_len), pick(0, size - 1);
            std::string s;
            for (int i = len(rng); i > 0; --i) s += alphabet[pick(rng)];
            return s;
        };
        std::vector<std::pair<std::string, std::uint32_t>> keywords;
        std::uniform_int_distribution<std::uint32_t> value(0, 100000);
        for (int i = 0; i < 400; ++i)
            keywords.emplace_back(random_text(1, 7, "abcde.", 6), value(rng));
        // Keep few short keywords so misses stay common (single bytes are tested above).
        std::erase_if(keywords, [&](const auto& k) {
            return k.first.size() < 2 || (k.first.size() < 3 && rng() % 8 != 0);
        });
        auto m = build(keywords);
        int hits = 0;
        for (int i = 0; i < 2000; ++i) {
            auto name = random_text(0, 30, "abcdefghijklm.-", 15);
            std::optional<std::uint32_t> expected;
            for (const auto& [keyword, v] : keywords)
                if (name.find(keyword) != std::string::npos && (!expected || v < *expected))
                    expected = v;
            ASSERT_EQ(m.match(name), expected) << "seed " << seed << " name " << name;
            hits += expected.has_value();
        }
        EXPECT_GT(hits, 200);
        EXPECT_LT(hits, 1900);
    }
}

}  // namespace
}  // namespace shunt::rules

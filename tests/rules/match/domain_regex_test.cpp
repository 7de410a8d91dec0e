// DomainRegex: the literal prefilter derived from patterns, matching against a plain RE2
// search (and std::regex where the syntax agrees), a randomized check that the prefilter
// never rejects a domain the regex accepts, bad patterns, and patterns that make a
// backtracking engine take exponential time.
#include "rules/match/domain_regex.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "rules/parse/rule_list.hpp"

namespace shunt::rules {
namespace {

DomainRegex compiled(const std::string& pattern) {
    std::string error;
    auto r = DomainRegex::compile(pattern, &error);
    if (!r) throw std::runtime_error("pattern " + pattern + " rejected: " + error);
    return *r;
}

TEST(DomainRegexPrefilter, DerivesLiteralsFromPatterns) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"(^(.+\.)?(tracker|telemetry)[0-9]*\.)", "contains(tracker|telemetry)"},
        {R"(\.doubleclick\.net$)", "suffix(.doubleclick.net)"},
        {R"(^ad[sx]?[0-9]*\.)", "prefix(ad)"},
        // Exact patterns anchored at both ends: the whole name is one of a few strings.
        {R"(^ads?\.example\.com$)",
         "prefix(ad.example.com|ads.example.com) suffix(ad.example.com|ads.example.com)"},
        {R"(google)", "contains(google)"},
        {R"(goo+gle)", "contains(gle) contains(go)"},
        {R"(a{3}b)", "contains(aaab)"},
        {R"((ab){2,}x)", "contains(abab)"},
        {R"((?:cdn|static)\d+\.example\.org)", "contains(.example.org) contains(cdn|static)"},
        {R"(^(www|m)\.site\.(com|net)$)",
         "prefix(m.site.com|m.site.net|www.site.com|www.site.net) "
         "suffix(m.site.com|m.site.net|www.site.com|www.site.net)"},
        {R"(^(www|m)\.site\.[a-z]+$)", "prefix(m.site.|www.site.)"},
        {R"(^[a-z]+\.site\.(com|net)$)", "suffix(.site.com|.site.net)"},
        // A top-level alternation: an OR of one literal per branch, or nothing.
        {R"(foo\d|bar)", "contains(bar|foo)"},
        {R"(foo|.*)", "none"},
        {R"(foo|b)", "none"},  // one branch only needs "b": too weak to keep
        {R"(^|x)", "none"},
        // Anchors inside groups are left to the regex.
        {R"((^ab)cd)", "contains(abcd)"},
        {R"([a-z]+\.com)", "contains(.com)"},
        {R"(x[^a]y)", "none"},
        {R"(\bad\b)", "contains(ad)"},
        {R"(\Aads\z)", "prefix(ads) suffix(ads)"},
        {R"(Google\.com)", "contains(Google.com)"},  // case-sensitive: never a lower-case name
        // What the analyzer does not understand gets no prefilter at all.
        {R"((?i)google)", "none"},
        {R"(\x41pple)", "none"},
        {R"(\Qa.b\E)", "none"},
        {R"([[:alpha:]]google)", "none"},
        {R"(goo{1,)", "none"},
    };
    for (const auto& [pattern, expected] : cases)
        EXPECT_EQ(compiled(pattern).prefilter().describe(), expected) << pattern;
}

TEST(DomainRegex, ClashStyleRules) {
    auto tracker = compiled(R"(^(.+\.)?(tracker|telemetry)[0-9]*\.)");
    EXPECT_TRUE(tracker.matches("tracker.example.com"));
    EXPECT_TRUE(tracker.matches("eu.telemetry12.vendor.net"));
    EXPECT_FALSE(tracker.matches("mytracker.example.com"));
    EXPECT_FALSE(tracker.matches("example.com"));
    auto ads = compiled(R"(^ad[sx]?[0-9]*\.)");
    EXPECT_TRUE(ads.matches("ads1.example.com"));
    EXPECT_TRUE(ads.matches("ad.x"));
    EXPECT_FALSE(ads.matches("bad.example.com"));
    EXPECT_FALSE(ads.matches("adz.example.com"));
    // Unanchored patterns search: Go's regexp.MatchString, not a full match.
    EXPECT_TRUE(compiled("oo").matches("google.com"));
    EXPECT_FALSE(compiled("^oo").matches("google.com"));
    EXPECT_FALSE(compiled("Google").matches("google.com"));
    EXPECT_FALSE(compiled("x").matches(""));
    EXPECT_TRUE(compiled("^$").matches(""));
}

TEST(DomainRegex, AgreesWithPlainRegexSearch) {
    const std::vector<std::string> patterns = {
        R"(^(.+\.)?(tracker|telemetry)[0-9]*\.)",
        R"(\.doubleclick\.net$)",
        R"(^ad[sx]?[0-9]*\.)",
        R"(^ads?\.example\.com$)",
        R"(goo+gle)",
        R"(a{2,3}b)",
        R"((ab){2,}x)",
        R"((?:cdn|static)\d+\.example\.org)",
        R"(^(www|m)\.site\.(com|net)$)",
        R"(foo\d|bar)",
        R"(^(a|b(c|d)?)+\.e$)",
        R"([a-c-]{2}\.)",
        R"(^[^.]+\.cn$)",
        R"(\bad\b)",
        R"(x.?y)",
        R"(^(x|xy|xyz)\.)",
        R"(\.(com|net)\.?$)",
        R"(^$)",
        R"(^.{3}\.io$)",
        R"(a|)",
        R"((?i)GOOGLE)",
        R"([.]com$)",
        R"(a+?b)",
        R"([]a]x)",
        R"([\].]c$)",
        R"([^]a]x)",
        R"([-a]{2})",
        // UTF-8: the quantifier takes the whole character, not its last byte.
        "^x\xc3\xa9?y$",
        "^[\xc3\xa9" "a]b",
    };
    const std::vector<std::string> domains = {
        "",
        "tracker.example.com",
        "a.telemetry7.b.net",
        "xtracker.com",
        "ad.doubleclick.net",
        "doubleclick.net",
        "ads1.x",
        "ad.example.com",
        "ads.example.com",
        "adx.example.com",
        "google.com",
        "gooogle.com",
        "gogle.com",
        "aab",
        "aaab",
        "ababx",
        "abx",
        "cdn12.example.org",
        "static.example.org",
        "www.site.com",
        "m.site.net",
        "mm.site.net",
        "foo1",
        "bar",
        "fooa",
        "abc.e",
        "ba.e",
        "bdc.e",
        "-a.",
        "example.cn",
        "a.b.cn",
        "ad",
        "bad",
        "xy",
        "x-y",
        "xyz.",
        "a.net.",
        "abc.io",
        "abcd.io",
        "b",
        "GOOGLE",
        "]x",
        "ax",
        "bx",
        "].c",
        "-a",
        "a-",
        "x.com",
        "xy",
        "ab",
    };
    for (const auto& pattern : patterns) {
        auto r = compiled(pattern);
        const re2::RE2 reference(pattern);
        ASSERT_TRUE(reference.ok()) << pattern;
        // std::regex's ECMAScript has no (?i), reads "[]" as an empty class, not "]", and
        // works on bytes, not UTF-8 characters.
        const bool std_syntax =
            pattern.find("(?i)") == std::string::npos && pattern.find("[]") == std::string::npos &&
            pattern.find("[^]") == std::string::npos &&
            std::none_of(pattern.begin(), pattern.end(),
                         [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
        std::optional<std::regex> ecma;
        if (std_syntax) ecma.emplace(pattern, std::regex::ECMAScript);
        for (const auto& domain : domains) {
            const bool expected = re2::RE2::PartialMatch(domain, reference);
            EXPECT_EQ(r.matches(domain), expected) << pattern << " on " << domain;
            EXPECT_EQ(r.matches_without_prefilter(domain), expected) << pattern << " on " << domain;
            if (ecma) {
                EXPECT_EQ(std::regex_search(domain, *ecma), expected)
                    << "std::regex " << pattern << " on " << domain;
            }
        }
    }
}

// Random patterns over a small alphabet, so random domains hit them often enough.
class PatternGenerator {
  public:
    explicit PatternGenerator(std::mt19937& rng) : rng_(rng) {}

    std::string pattern() {
        std::string p;
        if (chance(4)) p += '^';
        p += alternation(0);
        if (chance(4)) p += '$';
        return p;
    }

  private:
    bool chance(int one_in) { return std::uniform_int_distribution<int>(1, one_in)(rng_) == 1; }
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

    std::string alternation(int depth) {
        std::string p = sequence(depth);
        while (chance(4)) p += '|' + sequence(depth);
        return p;
    }
    std::string sequence(int depth) {
        std::string p;
        const int n = 1 + pick(5);
        for (int i = 0; i < n; ++i) p += atom(depth) + quantifier();
        return p;
    }
    std::string atom(int depth) {
        static const std::vector<std::string> leaves = {
            "a",     "b",    "c",   "a",   "b",    "\\.", "-", ".",     "[ab]",
            "[a-c]", "[^a]", "\\d", "\\w", "[.b]", "\\b", "0", "[0-9]",
        };
        if (depth < 3 && chance(5)) return (chance(2) ? "(" : "(?:") + alternation(depth + 1) + ")";
        return leaves[pick(static_cast<int>(leaves.size()))];
    }
    std::string quantifier() {
        static const std::vector<std::string> q = {"?",     "*",    "+",  "{2}", "{1,2}",
                                                   "{0,2}", "{2,}", "??", "+?"};
        return chance(3) ? q[pick(static_cast<int>(q.size()))] : "";
    }

    std::mt19937& rng_;
};

TEST(DomainRegex, PrefilterNeverRejectsARegexMatch) {
    std::mt19937 rng(20261122);
    PatternGenerator generator(rng);
    const std::string alphabet = "abc.-0";
    std::size_t filtered_patterns = 0, matches = 0, rejected = 0;
    for (int p = 0; p < 1000; ++p) {
        const std::string pattern = generator.pattern();
        std::string error;
        auto r = DomainRegex::compile(pattern, &error);
        if (!r) continue;  // e.g. "\b" followed by a quantifier
        filtered_patterns += r->prefilter().empty() ? 0 : 1;
        for (int d = 0; d < 50; ++d) {
            std::string domain;
            const int length = std::uniform_int_distribution<int>(0, 9)(rng);
            for (int i = 0; i < length; ++i)
                domain += alphabet[std::uniform_int_distribution<std::size_t>(
                    0, alphabet.size() - 1)(rng)];
            const bool full = r->matches_without_prefilter(domain);
            const bool passes = r->passes_prefilter(domain);
            if (full) ++matches;
            if (!passes) ++rejected;
            ASSERT_TRUE(!full || passes) << pattern << " matches " << domain << " but prefilter "
                                         << r->prefilter().describe() << " rejects it";
            ASSERT_EQ(r->matches(domain), full) << pattern << " on " << domain;
        }
    }
    // The test only means something when both sides happen often.
    EXPECT_GT(filtered_patterns, 200u);
    EXPECT_GT(matches, 3000u);
    EXPECT_GT(rejected, 3000u);
}

TEST(DomainRegex, BadPatternsSayWhy) {
    for (const std::string bad : {"(ab", "[abc", "a{2,1}", "+a", "(?<name", "\\", "a)", "[z-a]",
                                  // Go's regexp (Clash) has no backreferences, lookarounds
                                  // or possessive quantifiers either.
                                  "(a)\\1", "(?=goo)google", "a*+google"}) {
        std::string error;
        EXPECT_FALSE(DomainRegex::compile(bad, &error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
        EXPECT_NE(error.find("offset"), std::string::npos) << error;
    }
    EXPECT_FALSE(DomainRegex::compile("(ab"));  // no error string wanted
}

// Patterns a backtracking engine needs exponential time for, on a name that almost
// matches: Boost.Regex searched each of these for 0.7 ms to 2 s (the last) before giving up
// with an exception nothing caught. Matching is linear in the name whatever the pattern,
// so all of them together, 20 times, stay far below what one of them took.
TEST(DomainRegex, CatastrophicPatternsAreMatchedInLinearTime) {
    std::string alternation = "(";
    for (int i = 1; i < 30; ++i) alternation += std::string(i, 'a') + (i < 29 ? "|" : ")+");
    std::string nested;
    for (int i = 0; i < 20; ++i) nested += "((a|aa)+)+";
    const std::vector<std::string> patterns = {
        "(a|aa)+$",  "(a+)+$", "(a*)*b", "^(a|a?)+$", "(.*a){12}$", alternation + alternation + "$",
        nested + "$"};
    const std::string name = std::string(252, 'a') + "!";
    std::vector<DomainRegex> compiled_patterns;
    for (const auto& pattern : patterns) compiled_patterns.push_back(compiled(pattern));
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < 20; ++round)
        for (std::size_t i = 0; i < patterns.size(); ++i) {
            EXPECT_FALSE(compiled_patterns[i].matches(name)) << patterns[i];
            EXPECT_TRUE(compiled_patterns[i].matches(std::string(252, 'a') + (i == 2 ? "b" : "")))
                << patterns[i];
        }
    // 280 searches of 253 bytes: microseconds each, even under a sanitizer on a busy machine.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(DomainRegex, PatternsWhoseProgramIsTooLargeAreRefused) {
    std::string error;
    EXPECT_FALSE(DomainRegex::compile(R"((\pL{100}){10})", &error));
    EXPECT_NE(error.find("too large"), std::string::npos) << error;
    // A long but ordinary pattern is fine.
    std::string many = "^(";
    for (int i = 0; i < 500; ++i) many += (i ? "|" : "") + std::string("site") + std::to_string(i);
    many += ")\\.example\\.com$";
    EXPECT_TRUE(compiled(many).matches("site499.example.com"));
}

TEST(DomainRegex, RuleParserRejectsWithTheSameEngine) {
    auto result = parse_rule_list({{"DOMAIN-REGEX,^(ads,REJECT", {"c.yaml", 3, 5}},
                                   {"DOMAIN-REGEX,^ad{1,2}s$,REJECT", {"c.yaml", 4, 5}}});
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_EQ(result.errors[0].line, 3);
    EXPECT_NE(result.errors[0].message.find("invalid regex"), std::string::npos);
    ASSERT_EQ(result.rules.size(), 1u);
    EXPECT_EQ(result.rules[0].payload, "^ad{1,2}s$");
}

TEST(DomainRegex, CopiesMatchConcurrently) {
    const auto original = compiled(R"(^(.+\.)?(tracker|telemetry)[0-9]*\.)");
    std::vector<DomainRegex> copies(4, original);
    std::vector<int> hits(copies.size(), 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < copies.size(); ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                hits[t] += copies[t].matches("a.tracker1.example.com") ? 1 : 0;
                hits[t] += original.matches("b.telemetry.example.com") ? 1 : 0;
                hits[t] += original.matches("example.com") ? 1 : 0;
            }
        });
    for (auto& thread : threads) thread.join();
    for (int h : hits) EXPECT_EQ(h, 4000);
}

}  // namespace
}  // namespace shunt::rules

// The rule engine's part of the config: `mode`, `rules`, [rule_sets.*], [geoip]. Every
// error must name file:line:column and the key, and all of them come out at once. The
// specs that declare them against examples/full.toml: every key shown (the sections
// without a default commented out), with its default, and nothing undeclared.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/config_loader.hpp"
#include "config/config_rules_reader.hpp"
#include "tests/support/config_errors.hpp"
#include "tests/support/section_spec_check.hpp"

namespace shunt {
namespace {

constexpr const char* kDns = "[dns]\nupstreams = [\"udp://127.0.0.1:5353\"]\n";

using test::error_lines;
using test::has_error;

TEST(ConfigRules, ReadsModeRulesSetsAndGeoip) {
    auto r = parse_config(std::string(R"(mode = "global"
rules = [
  "DOMAIN-SUFFIX,Example.COM.,DIRECT",
  "RULE-SET,ads,REJECT",
  "GEOIP,CN,DIRECT,no-resolve",
  "AND,((NETWORK,udp),(DST-PORT,443)),REJECT",
  "MATCH,DIRECT",
]
[rule_sets.ads]
path = "sets/ads.txt"
behavior = "domain"
[geoip]
database = "/usr/share/GeoIP/Country.mmdb"
)") + kDns,
                          "/etc/shunt/c.toml");
    ASSERT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    const Config& c = *r.config;
    EXPECT_EQ(c.mode, rules::Mode::global);
    ASSERT_EQ(c.rules.size(), 5u);
    EXPECT_EQ(c.rules[0].payload, "example.com");
    EXPECT_EQ(c.rules[0].line, 3);
    EXPECT_EQ(c.rules[0].column, 4);  // the rule text, after the opening quote
    EXPECT_EQ(c.rules[1].type, rules::RuleType::rule_set);
    EXPECT_TRUE(c.rules[2].no_resolve);
    ASSERT_EQ(c.rule_sets.size(), 1u);
    EXPECT_EQ(c.rule_sets[0].name, "ads");
    EXPECT_EQ(c.rule_sets[0].path, "/etc/shunt/sets/ads.txt");  // relative to the file
    EXPECT_EQ(c.rule_sets[0].behavior, rules::RuleSetBehavior::domain);
    EXPECT_EQ(c.rule_sets[0].position.line, 10);
    EXPECT_EQ(c.geoip.database, "/usr/share/GeoIP/Country.mmdb");
    EXPECT_EQ(c.geoip.position.line, 13);
}

// The reader's hint for a top-level key written below a table header knows the same keys
// the top-level declaration reads.
TEST(ConfigRules, TheTopLevelHintKnowsEveryDeclaredTopLevelKey) {
    std::vector<std::string_view> declared;
    for (const auto& key : top_level_spec().keys) declared.push_back(key.name);
    const auto hinted = top_level_keys();
    EXPECT_EQ(declared, std::vector<std::string_view>(hinted.begin(), hinted.end()));
}

TEST(ConfigRules, DefaultsAreRuleModeAndNoRules) {
    auto r = parse_config(kDns, "c.toml");
    ASSERT_TRUE(r.config);
    EXPECT_EQ(r.config->mode, rules::Mode::rule);
    EXPECT_TRUE(r.config->rules.empty());
    EXPECT_TRUE(r.config->geoip.database.empty());
}

TEST(ConfigRules, GeoipLanNeedsNoDatabase) {
    auto r = parse_config(std::string("rules = [\"GEOIP,LAN,DIRECT\", \"MATCH,REJECT\"]\n") + kDns,
                          "c.toml");
    EXPECT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
}

TEST(ConfigRules, ReportsEveryBadRuleAtOnceWithPositionAndKey) {
    auto r = parse_config(std::string(R"(rules = [
  "DOMAIN-SUFFIX,ok.com,DIRECT",
  "DOMIAN,typo.com,DIRECT",
  "IP-CIDR,10.0.0.0/33,DIRECT",
  "DOMAIN-REGEX,(unclosed,DIRECT",
  "DOMAIN,a.com,proxy",
  "RULE-SET,missing,DIRECT",
  "GEOIP,CN,DIRECT",
  "MATCH,DIRECT",
  "DOMAIN,late.com,DIRECT",
]
)") + kDns,
                          "c.toml");
    EXPECT_FALSE(r.config);
    EXPECT_TRUE(has_error(r, "c.toml:3:4: rules[1]: ")) << ::testing::PrintToString(error_lines(r));
    EXPECT_TRUE(has_error(r, "c.toml:4:") && has_error(r, "rules[2]"));
    EXPECT_TRUE(has_error(r, "c.toml:5:") && has_error(r, "rules[3]"));
    EXPECT_TRUE(has_error(r, "c.toml:6:4: rules[4]: unknown target \"proxy\""));
    EXPECT_TRUE(has_error(r, "c.toml:7:4: rules[5]: unknown rule set \"missing\""));
    EXPECT_TRUE(has_error(r, "c.toml:8:4: rules[6]: GEOIP,CN needs a country database"));
    EXPECT_TRUE(has_error(r, "c.toml:9:4: rules[7]: MATCH must be the last rule"));
    EXPECT_GE(r.errors.size(), 7u);
}

TEST(ConfigRules, RulesOnOneLineGetTheirOwnKeys) {
    auto r = parse_config(
        std::string("rules = [\"DOMAIN,a.com,DIRECT\", \"DOMAIN,b.com,nowhere\"]\n") + kDns,
        "c.toml");
    EXPECT_TRUE(has_error(r, "c.toml:1:34: rules[1]: unknown target \"nowhere\""))
        << ::testing::PrintToString(error_lines(r));
}

TEST(ConfigRules, NestedReferencesAreChecked) {
    auto r = parse_config(
        std::string("rules = [\"OR,((RULE-SET,nope),(DOMAIN,a.com)),DIRECT\"]\n") + kDns, "c.toml");
    EXPECT_TRUE(has_error(r, "rules[0]: unknown rule set \"nope\""))
        << ::testing::PrintToString(error_lines(r));
}

struct BadRuleConfig {
    const char* text;
    const char* expected;
};

class ConfigRuleErrors : public ::testing::TestWithParam<BadRuleConfig> {};

TEST_P(ConfigRuleErrors, NameFileLineColumnAndKey) {
    auto r = parse_config(std::string(GetParam().text) + kDns, "c.toml");
    EXPECT_FALSE(r.config);
    EXPECT_TRUE(has_error(r, GetParam().expected))
        << "expected \"" << GetParam().expected << "\" in "
        << ::testing::PrintToString(error_lines(r));
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigRuleErrors,
    ::testing::Values(
        BadRuleConfig{"mode = \"proxy\"\n", "c.toml:1:8: mode: expected \"rule\""},
        BadRuleConfig{"rules = \"MATCH,DIRECT\"\nrules2 = 1\n", "c.toml:2:1: rules2: unknown key"},
        BadRuleConfig{"rules = [1]\n", "c.toml:1:10: rules[0]: expected a string"},
        BadRuleConfig{"[rule_sets.ads]\nbehavior = \"domain\"\n", "rule_sets.ads.path: required"},
        BadRuleConfig{"[rule_sets.ads]\npath = \"a.txt\"\n", "rule_sets.ads.behavior: required"},
        BadRuleConfig{"[rule_sets.ads]\npath = \"a.txt\"\nbehavior = \"domains\"\n",
                      "c.toml:3:12: rule_sets.ads.behavior: expected \"domain\", \"ipcidr\""},
        BadRuleConfig{"[rule_sets.ads]\npath = \"a.txt\"\nbehavior = \"domain\"\nformat = 1\n",
                      "c.toml:4:1: rule_sets.ads.format: unknown key"},
        BadRuleConfig{"[rule_sets]\nads = \"a.txt\"\n",
                      "c.toml:2:7: rule_sets.ads: expected a table"},
        BadRuleConfig{"[rule_sets.\"a,b\"]\npath = \"a.txt\"\nbehavior = \"domain\"\n",
                      "rule_sets.a,b: a rule-set name must be non-empty"},
        BadRuleConfig{"[geoip]\n", "geoip.database: required"},
        BadRuleConfig{"[geoip]\ndatabase = \"\"\n", "c.toml:2:12: geoip.database: must name"},
        BadRuleConfig{"[geoip]\ndatabase = \"x.mmdb\"\nauto_update = true\n",
                      "c.toml:3:1: geoip.auto_update: unknown key"}));

const std::string kFull = std::string(SHUNT_SOURCE_DIR) + "/examples/full.toml";

TEST(TopLevelSpec, FullTomlShowsModeAndRulesWithTheirDefaults) {
    const auto full = load_config(kFull);
    ASSERT_TRUE(full.config) << ::testing::PrintToString(error_lines(full));
    test::expect_example_shows_every_key(top_level_spec(), kFull, "", *full.config, Config{});
    std::set<std::string> declared;
    test::add_names(declared, top_level_spec());
    test::expect_written_keys_declared(test::section_text(kFull, ""), false, declared,
                                       "the top level");
}

// [rule_sets.NAME] and [geoip] have no default: full.toml shows them commented out, every
// key and no other, and the lines, comment marks taken off, load.
template <class Section>
std::shared_ptr<const Config> load_commented_section(const SectionSpec<Section>& spec,
                                                     const std::string& header) {
    const auto text = test::expect_commented_section_shows_every_key(spec, kFull, header);
    std::set<std::string> declared;
    test::add_names(declared, spec);
    test::expect_written_keys_declared(text, false, declared, header);
    const auto r = parse_config(std::string(kDns) + text, "/etc/shunt/c.toml");
    EXPECT_TRUE(r.config) << ::testing::PrintToString(error_lines(r));
    return r.config;
}

TEST(RuleSetSpec, FullTomlShowsEveryKeyCommentedOut) {
    const auto config = load_commented_section(rule_set_spec(), "[rule_sets.ads]");
    ASSERT_TRUE(config);
    EXPECT_EQ(config->rule_sets.size(), 1u);
}

TEST(GeoipSectionSpec, FullTomlShowsEveryKeyCommentedOut) {
    const auto config = load_commented_section(geoip_section_spec(), "[geoip]");
    ASSERT_TRUE(config);
    EXPECT_FALSE(config->geoip.database.empty());
}

TEST(RuleSectionSpecs, EveryKeyHasADocLineAndShowsItsValue) {
    test::expect_every_key_documented(top_level_spec(), Config{});
    test::expect_every_key_documented(rule_set_spec(), RuleSetConfig{});
    test::expect_every_key_documented(geoip_section_spec(), GeoipConfig{});
}

// Rules are the same setting wherever they are written; another rule is a change.
TEST(TopLevelSpec, RulesCompareByTheirTextNotTheirPlace) {
    const auto a =
        parse_config(std::string("rules = [\"DOMAIN,a.com,DIRECT\"]\n") + kDns, "c.toml");
    const auto b =
        parse_config(std::string("\n\nrules = [\n  \"DOMAIN,A.com.,DIRECT\"]\n") + kDns, "c.toml");
    const auto c =
        parse_config(std::string("rules = [\"DOMAIN,b.com,DIRECT\"]\n") + kDns, "c.toml");
    ASSERT_TRUE(a.config && b.config && c.config);
    const auto* rules = top_level_spec().find("rules");
    ASSERT_TRUE(rules);
    EXPECT_TRUE(rules->equal(*a.config, *b.config));
    EXPECT_FALSE(rules->equal(*a.config, *c.config));
    EXPECT_EQ(rules->show(*b.config), "[\"DOMAIN,a.com,DIRECT\"]");
}

}  // namespace
}  // namespace shunt

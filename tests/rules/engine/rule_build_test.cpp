// build_rules: a config whose rule lines are valid becomes a CompiledRules once the
// files it names are read. Tests use real files (rule sets in Clash's format, a real
// .mmdb written by MaxMind's writer) and check both the decisions and every error path.
#include "rules/engine/rule_build.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "config/config_loader.hpp"
#include "rules/engine/rule_engine.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mmdb_builder.hpp"

namespace shunt::rules {
namespace {

std::shared_ptr<const Config> load(const test::TempDir& dir, const std::string& text) {
    dir.write("c.toml", text + "[dns]\nupstreams = [\"udp://127.0.0.1:5353\"]\n");
    auto r = load_config(dir.file("c.toml"));
    for (const auto& e : r.errors) ADD_FAILURE() << e.format();
    return r.config;
}

std::vector<std::string> formatted(const RuleBuildResult& r) {
    std::vector<std::string> lines;
    for (const auto& e : r.errors) lines.push_back(e.format());
    return lines;
}

bool has_error(const RuleBuildResult& r, const std::string& needle) {
    auto lines = formatted(r);
    return std::any_of(lines.begin(), lines.end(),
                       [&](const auto& l) { return l.find(needle) != std::string::npos; });
}

ConnectionMetadata by_name(std::string_view domain) {
    ConnectionMetadata m;
    m.domain = domain;
    m.destination_port = 443;
    return m;
}

ConnectionMetadata by_address(const char* address) {
    ConnectionMetadata m;
    m.destination = IpAddress::parse(address);
    m.destination_port = 443;
    return m;
}

TEST(RuleBuild, CompilesRulesWithSetsAndCountryDatabase) {
    test::TempDir dir;
    dir.write("ads.txt", "# ads\n+.ads.example\ntracker.example\n");
    dir.write("cn.txt", "1.0.1.0/24\n2001:db8:cc::/48\n");
    dir.write("mixed.txt", "DOMAIN-KEYWORD,casino\nDST-PORT,6881-6889\n");
    test::build_test_mmdb(dir,
                          std::vector<test::MmdbNetwork>{{*Prefix::parse("5.5.0.0/16"), "DE"}});
    auto config = load(dir, R"(rules = [
  "RULE-SET,ads,REJECT",
  "RULE-SET,mixed,REJECT",
  "GEOIP,LAN,DIRECT",
  "RULE-SET,cn,DIRECT",
  "GEOIP,DE,REJECT",
  "MATCH,DIRECT",
]
[rule_sets.ads]
path = "ads.txt"
behavior = "domain"
[rule_sets.cn]
path = "cn.txt"
behavior = "ipcidr"
[rule_sets.mixed]
path = "mixed.txt"
behavior = "classical"
[geoip]
database = "test.mmdb"
)");
    ASSERT_TRUE(config);
    auto built = build_rules(*config);
    ASSERT_TRUE(built.rules) << ::testing::PrintToString(formatted(built));
    EXPECT_EQ(built.rule_set_entries, 6u);
    const CompiledRules& rules = *built.rules;

    auto index_of = [&](const ConnectionMetadata& m) { return rules.evaluate(m).rule_index; };
    EXPECT_EQ(index_of(by_name("x.ads.example")), 0u);
    EXPECT_EQ(index_of(by_name("tracker.example")), 0u);
    EXPECT_EQ(index_of(by_name("bestcasino.example")), 1u);
    EXPECT_EQ(index_of(by_address("192.168.1.20")), 2u);
    EXPECT_EQ(index_of(by_address("1.0.1.9")), 3u);
    EXPECT_EQ(index_of(by_address("2001:db8:cc::1")), 3u);
    EXPECT_EQ(index_of(by_address("5.5.6.7")), 4u);
    EXPECT_EQ(index_of(by_address("9.9.9.9")), 5u);
    // A name-only connection reaching GEOIP,LAN asks to be resolved first.
    EXPECT_TRUE(rules.evaluate(by_name("www.example.org")).needs_resolution);
}

TEST(RuleBuild, ErrorsInRuleSetFilesPointAtTheirLines) {
    test::TempDir dir;
    dir.write("bad.txt", "good.example\n\nbad..example\n");
    dir.write("nets.txt", "10.0.0.0/8\n10.0.0.0/99\n");
    auto config = load(dir, R"(rules = ["RULE-SET,bad,REJECT", "RULE-SET,nets,DIRECT"]
[rule_sets.bad]
path = "bad.txt"
behavior = "domain"
[rule_sets.nets]
path = "nets.txt"
behavior = "ipcidr"
[rule_sets.gone]
path = "gone.txt"
behavior = "domain"
)");
    ASSERT_TRUE(config);
    auto built = build_rules(*config);
    EXPECT_FALSE(built.rules);
    EXPECT_TRUE(has_error(built, dir.file("bad.txt") + ":3:"))
        << ::testing::PrintToString(formatted(built));
    EXPECT_TRUE(has_error(built, "rule_sets.bad: "));
    EXPECT_TRUE(has_error(built, dir.file("nets.txt") + ":2:"));
    // An unreadable file points at the config line that named it.
    EXPECT_TRUE(has_error(built, dir.file("c.toml") + ":9:8: rule_sets.gone.path: "));
}

TEST(RuleBuild, ManyBadLinesAreCappedWithACount) {
    test::TempDir dir;
    std::string text;
    for (int i = 0; i < 250; ++i) text += "not a cidr\n";
    dir.write("nets.txt", text);
    auto config = load(dir, "[rule_sets.nets]\npath = \"nets.txt\"\nbehavior = \"ipcidr\"\n");
    ASSERT_TRUE(config);
    auto built = build_rules(*config);
    EXPECT_EQ(built.errors.size(), kMaxReportedErrors + 1);
    EXPECT_TRUE(has_error(built, "150 more errors in this file"));
}

TEST(RuleBuild, BadCountryDatabaseIsAnErrorAtItsKey) {
    test::TempDir dir;
    dir.write("fake.mmdb", "this is not a MaxMind database");
    auto config = load(dir, "rules = [\"GEOIP,CN,DIRECT\"]\n[geoip]\ndatabase = \"fake.mmdb\"\n");
    ASSERT_TRUE(config);
    auto built = build_rules(*config);
    EXPECT_FALSE(built.rules);
    EXPECT_TRUE(has_error(built, dir.file("c.toml") + ":3:12: geoip.database: "))
        << ::testing::PrintToString(formatted(built));
}

TEST(RuleBuild, ClassicalSetWithGeoipNeedsTheDatabase) {
    test::TempDir dir;
    dir.write("set.txt", "DOMAIN,a.example\nGEOIP,US\n");
    auto config = load(dir, R"(rules = ["RULE-SET,set,DIRECT"]
[rule_sets.set]
path = "set.txt"
behavior = "classical"
)");
    ASSERT_TRUE(config);
    auto built = build_rules(*config);
    EXPECT_TRUE(has_error(built, dir.file("set.txt") + ":2:1: rule_sets.set: GEOIP,US needs"))
        << ::testing::PrintToString(formatted(built));
}

TEST(RuleBuild, WantsProcessOnlyWithProcessRules) {
    test::TempDir dir;
    auto plain = load(dir, "rules = [\"DOMAIN,a.example,DIRECT\"]\n");
    auto with_process = load(dir, "rules = [\"AND,((PROCESS-NAME,curl),(NETWORK,tcp)),REJECT\"]\n");
    ASSERT_TRUE(plain && with_process);
    EXPECT_FALSE(build_rules(*plain).rules->wants_process());
    EXPECT_TRUE(build_rules(*with_process).rules->wants_process());
}

TEST(RuleBuild, DescribeNamesTheMatchingRule) {
    test::TempDir dir;
    auto config = load(dir, "rules = [\"DOMAIN-SUFFIX,example.com,REJECT\", \"MATCH,DIRECT\"]\n");
    ASSERT_TRUE(config);
    RuleEngine engine(build_rules(*config).rules);
    EXPECT_EQ(describe(engine.decide(by_name("www.example.com"))),
              "DOMAIN-SUFFIX,example.com -> REJECT (rule 1)");
    EXPECT_EQ(describe(engine.decide(by_name("other.org"))), "MATCH -> DIRECT (rule 2)");
    engine.set_mode(Mode::global);
    EXPECT_EQ(describe(engine.decide(by_name("other.org"))), "mode global -> GLOBAL");
    RuleEngine empty(std::make_shared<const CompiledRules>());
    EXPECT_EQ(describe(empty.decide(by_name("other.org"))), "no rule matched -> DIRECT");
}

}  // namespace
}  // namespace shunt::rules

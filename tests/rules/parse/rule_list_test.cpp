// parse_rule_list: positions mapped to the file, every error at once, MATCH checks.
#include "rules/parse/rule_list.hpp"

#include <gtest/gtest.h>

namespace shunt::rules {
namespace {

using Lines = std::vector<std::pair<std::string, SourcePosition>>;

// Rules as they sit in a TOML array: one per line, text starting at column 3 (after
// two spaces of indentation and the opening quote).
Lines at_lines(const std::vector<std::string>& texts) {
    Lines lines;
    int line = 10;
    for (const auto& text : texts) lines.push_back({text, {"config.toml", line++, 4}});
    return lines;
}

TEST(RuleParseList, GoodListKeepsOrderAndPositions) {
    auto result = parse_rule_list(
        at_lines({"DOMAIN-SUFFIX,lan,DIRECT", "RULE-SET,ads,REJECT",
                  "AND,((NETWORK,udp),(DST-PORT,443)),REJECT", "GEOIP,CN,DIRECT", "MATCH,proxy"}));
    ASSERT_TRUE(result.ok()) << result.errors.front().format();
    ASSERT_EQ(result.rules.size(), 5u);
    EXPECT_EQ(result.rules[0].line, 10);
    EXPECT_EQ(result.rules[0].column, 4);
    EXPECT_EQ(result.rules[2].children[1].line, 12);
    EXPECT_EQ(result.rules[2].children[1].column, 4 + 20);
    EXPECT_EQ(result.rules[4].type, RuleType::match);
}

TEST(RuleParseList, MissingMatchIsAllowed) {
    auto result = parse_rule_list(at_lines({"DOMAIN,a.com,DIRECT"}));
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(result.rules.size(), 1u);
    EXPECT_TRUE(parse_rule_list({}).ok());
}

TEST(RuleParseList, ReportsEveryErrorWithFilePosition) {
    auto result = parse_rule_list(
        at_lines({"DOMAIN,a.com,DIRECT", "DOMAIN-SUFFX,b.com,DIRECT", "IP-CIDR,1.2.3.4/40,DIRECT",
                  "DST-PORT,9-1,DIRECT", "MATCH,proxy"}));
    ASSERT_EQ(result.errors.size(), 3u);
    EXPECT_EQ(result.errors[0].format(), "config.toml:11:4: unknown rule type 'DOMAIN-SUFFX'");
    EXPECT_EQ(result.errors[1].line, 12);
    EXPECT_EQ(result.errors[1].column, 4 + 8);
    EXPECT_EQ(result.errors[2].line, 13);
    EXPECT_EQ(result.errors[2].column, 4 + 9);
    EXPECT_EQ(result.rules.size(), 2u);  // the good ones
}

TEST(RuleParseList, MatchMustBeLastAndUnique) {
    auto early = parse_rule_list(at_lines({"MATCH,proxy", "DOMAIN,a.com,DIRECT"}));
    ASSERT_EQ(early.errors.size(), 1u);
    EXPECT_EQ(early.errors[0].line, 10);
    EXPECT_NE(early.errors[0].message.find("must be the last rule"), std::string::npos);

    auto twice = parse_rule_list(at_lines({"DOMAIN,a.com,DIRECT", "MATCH,proxy", "MATCH,DIRECT"}));
    ASSERT_EQ(twice.errors.size(), 2u);
    EXPECT_EQ(twice.errors[0].line, 11);
    EXPECT_NE(twice.errors[0].message.find("must be the last rule"), std::string::npos);
    EXPECT_EQ(twice.errors[1].line, 12);
    EXPECT_EQ(twice.errors[1].message, "more than one MATCH rule (the first is at config.toml:11)");
}

}  // namespace
}  // namespace shunt::rules

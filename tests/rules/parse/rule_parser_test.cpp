// parse_rule / parse_rule_without_target: a table per rule type, logic nesting, and the
// column of every error.
#include "rules/parse/rule_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shunt::rules {
namespace {

struct Good {
    std::string line;
    RuleType type;
    std::string payload;  // normalised
    std::string target;
    bool no_resolve = false;
};

struct Bad {
    std::string line;
    int column;
    std::string message_part;
};

void expect_good(const std::vector<Good>& table) {
    for (const auto& row : table) {
        SCOPED_TRACE(row.line);
        auto result = parse_rule(row.line);
        ASSERT_TRUE(result.ok()) << result.error.column << ": " << result.error.message;
        EXPECT_EQ(result.rule->type, row.type);
        EXPECT_EQ(result.rule->payload, row.payload);
        EXPECT_EQ(result.rule->target, row.target);
        EXPECT_EQ(result.rule->no_resolve, row.no_resolve);
    }
}

void expect_bad(const std::vector<Bad>& table, bool with_target = true) {
    for (const auto& row : table) {
        SCOPED_TRACE(row.line);
        auto result = with_target ? parse_rule(row.line) : parse_rule_without_target(row.line);
        ASSERT_FALSE(result.ok()) << to_clash_string(*result.rule);
        EXPECT_EQ(result.error.column, row.column) << result.error.message;
        EXPECT_NE(result.error.message.find(row.message_part), std::string::npos)
            << result.error.message;
    }
}

TEST(RuleParseDomain, NormalisesCaseTrailingDotAndSuffixDot) {
    expect_good({
        {"DOMAIN,Example.COM,DIRECT", RuleType::domain, "example.com", "DIRECT"},
        {"DOMAIN,example.com.,DIRECT", RuleType::domain, "example.com", "DIRECT"},
        {"domain,xn--fiqs8s.cn,proxy", RuleType::domain, "xn--fiqs8s.cn", "proxy"},
        {"  DOMAIN , a.com ,  HK (fast)  ", RuleType::domain, "a.com", "HK (fast)"},
        {"DOMAIN-SUFFIX,GOOGLE.com.,proxy", RuleType::domain_suffix, "google.com", "proxy"},
        {"DOMAIN-SUFFIX,.google.com,proxy", RuleType::domain_suffix, "google.com", "proxy"},
        {"DOMAIN-SUFFIX,lan,DIRECT", RuleType::domain_suffix, "lan", "DIRECT"},
        {"DOMAIN-KEYWORD,GooGle,proxy", RuleType::domain_keyword, "google", "proxy"},
    });
}

TEST(RuleParseDomain, RejectsBadNames) {
    expect_bad({
        {"DOMAIN,bücher.de,DIRECT", 9, "punycode"},
        {"DOMAIN-SUFFIX,.例子.cn,DIRECT", 16, "punycode"},
        {"DOMAIN-KEYWORD,谷歌,DIRECT", 16, "punycode"},
        {"DOMAIN,a..com,DIRECT", 8, "invalid domain"},
        {"DOMAIN,a b.com,DIRECT", 8, "invalid domain"},
        {"DOMAIN,,DIRECT", 8, "empty value"},
        {"DOMAIN,a.com", 13, "missing target"},
        {"DOMAIN,a.com,", 14, "empty target"},
        {"DOMAIN,a.com,DIRECT,extra", 21, "unexpected field 'extra'"},
        {"DOMAIN,a.com,DIRECT,no-resolve", 21, "no-resolve applies only"},
        {"DOMAIN,a.com,no-resolve", 14, "missing target"},
        {"DOMAIN", 7, "missing value"},
        {"DOMAINX,a.com,DIRECT", 1, "unknown rule type 'DOMAINX'"},
        {"GEOSITE,cn,DIRECT", 1, "unknown rule type"},
        {"", 1, "empty rule"},
        {",a.com,DIRECT", 1, "missing rule type"},
    });
}

TEST(RuleParseRegex, CompilesAtParseTimeAndKeepsText) {
    expect_good({
        {"DOMAIN-REGEX,^ad[0-9]+\\.Example\\.com$,REJECT", RuleType::domain_regex,
         "^ad[0-9]+\\.Example\\.com$", "REJECT"},
        // Commas inside a regex: the last field is the target.
        {"DOMAIN-REGEX,^a{1,3}\\.com$,REJECT", RuleType::domain_regex, "^a{1,3}\\.com$", "REJECT"},
    });
    expect_bad({
        {"DOMAIN-REGEX,^(ab\\.com$,REJECT", 14, "invalid regex"},
        {"DOMAIN-REGEX,[z-a],REJECT", 14, "invalid regex"},
        {"DOMAIN-REGEX,a.com,no-resolve", 20, "missing target"},
        {"DOMAIN-REGEX,a,", 16, "empty target"},
        {"DOMAIN-REGEX,a, ", 17, "empty target"},
        {"DOMAIN-REGEX,,DIRECT", 14, "empty value"},
    });
}

TEST(RuleParseIp, CidrsBothFamiliesAndNoResolve) {
    expect_good({
        {"IP-CIDR,10.1.2.3/8,DIRECT", RuleType::ip_cidr, "10.0.0.0/8", "DIRECT"},
        {"IP-CIDR,1.0.0.0/8,DIRECT,no-resolve", RuleType::ip_cidr, "1.0.0.0/8", "DIRECT", true},
        {"IP-CIDR, 1.0.0.0/8 , DIRECT , No-Resolve", RuleType::ip_cidr, "1.0.0.0/8", "DIRECT",
         true},
        {"IP-CIDR,2001:db8::/32,proxy", RuleType::ip_cidr, "2001:db8::/32", "proxy"},
        {"IP-CIDR6,2001:DB8::1/128,proxy,no-resolve", RuleType::ip_cidr6, "2001:db8::1/128",
         "proxy", true},
        {"IP-CIDR6,192.168.0.0/16,DIRECT", RuleType::ip_cidr6, "192.168.0.0/16", "DIRECT"},
        {"IP-CIDR,::ffff:10.0.0.0/104,DIRECT", RuleType::ip_cidr, "10.0.0.0/8", "DIRECT"},
        {"IP-CIDR,::ffff:0:0/96,DIRECT", RuleType::ip_cidr, "0.0.0.0/0", "DIRECT"},
        {"IP-CIDR6,::ffff:0:0/95,DIRECT", RuleType::ip_cidr6, "::fffe:0:0/95", "DIRECT"},
        {"IP-CIDR,0.0.0.0/0,DIRECT", RuleType::ip_cidr, "0.0.0.0/0", "DIRECT"},
        {"IP-CIDR,8.8.8.8,DIRECT", RuleType::ip_cidr, "8.8.8.8/32", "DIRECT"},
        // Clash accepts no-resolve on SRC-IP-CIDR and ignores it: so do we.
        {"SRC-IP-CIDR,192.168.1.0/24,DIRECT,no-resolve", RuleType::src_ip_cidr, "192.168.1.0/24",
         "DIRECT", false},
        {"SOURCE-IP-CIDR,192.168.1.0/24,DIRECT", RuleType::src_ip_cidr, "192.168.1.0/24", "DIRECT"},
        {"GEOIP,cn,DIRECT", RuleType::geoip, "CN", "DIRECT"},
        {"GEOIP,CN,DIRECT,no-resolve", RuleType::geoip, "CN", "DIRECT", true},
        {"GEOIP,lan,DIRECT", RuleType::geoip, "LAN", "DIRECT"},
        {"RULE-SET,cncidr,DIRECT,no-resolve", RuleType::rule_set, "cncidr", "DIRECT", true},
    });
    auto v4 = parse_rule("IP-CIDR,10.0.0.0/8,DIRECT");
    ASSERT_TRUE(v4.ok());
    ASSERT_NE(v4.rule->prefix(), nullptr);
    EXPECT_EQ(*v4.rule->prefix(), *Prefix::parse("10.0.0.0/8"));
    EXPECT_EQ(v4.rule->ports(), nullptr);

    expect_bad({
        {"IP-CIDR,1.2.3.4/33,DIRECT", 9, "invalid CIDR"},
        {"IP-CIDR,1.2.3/24,DIRECT", 9, "invalid CIDR"},
        {"IP-CIDR,example.com,DIRECT", 9, "invalid CIDR"},
        {"IP-CIDR6,2001:db8::/129,DIRECT", 10, "invalid CIDR"},
        {"IP-CIDR,1.0.0.0/8,DIRECT,no-resolv", 26, "unexpected field"},
        {"GEOIP,CHN,DIRECT", 7, "two-letter"},
        {"GEOIP,C1,DIRECT", 7, "two-letter"},
    });
}

TEST(RuleParsePorts, SinglesRangesAndLists) {
    auto result = parse_rule("DST-PORT,80/443/ 8000-9000 /0/65535,DIRECT");
    ASSERT_TRUE(result.ok()) << result.error.message;
    ASSERT_NE(result.rule->ports(), nullptr);
    EXPECT_EQ(*result.rule->ports(),
              (PortList{{80, 80}, {443, 443}, {8000, 9000}, {0, 0}, {65535, 65535}}));
    auto full = parse_rule("SRC-PORT,0-65535,DIRECT");
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(full.rule->type, RuleType::src_port);
    EXPECT_EQ(*full.rule->ports(), (PortList{{0, 65535}}));
    auto same = parse_rule("DST-PORT,443-443,DIRECT");
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(*same.rule->ports(), (PortList{{443, 443}}));

    expect_bad({
        {"DST-PORT,65536,DIRECT", 10, "invalid port"},
        {"DST-PORT,-1,DIRECT", 10, "invalid port"},
        {"DST-PORT,2000-1000,DIRECT", 10, "inverted port range"},
        {"DST-PORT,80/2000-1000,DIRECT", 13, "inverted port range"},
        {"DST-PORT,80//443,DIRECT", 13, "empty port"},
        {"DST-PORT,80/,DIRECT", 13, "empty port"},
        {"DST-PORT,1000-,DIRECT", 15, "invalid port"},
        {"DST-PORT,80/44x3,DIRECT", 13, "invalid port"},
        {"DST-PORT,http,DIRECT", 10, "invalid port"},
        {"DST-PORT,80,443,DIRECT", 17, "write port lists with '/'"},
        {"SRC-PORT,80,DIRECT,no-resolve", 20, "no-resolve applies only"},
    });
}

TEST(RuleParseMisc, NetworkProcessRuleSetMatch) {
    expect_good({
        {"NETWORK,UDP,DIRECT", RuleType::network, "udp", "DIRECT"},
        {"NETWORK,tcp,proxy", RuleType::network, "tcp", "proxy"},
        {"PROCESS-NAME,Telegram,proxy", RuleType::process_name, "Telegram", "proxy"},
        {"PROCESS-PATH,/usr/bin/curl,DIRECT", RuleType::process_path, "/usr/bin/curl", "DIRECT"},
        {"RULE-SET,ads,REJECT", RuleType::rule_set, "ads", "REJECT"},
        {"MATCH,proxy", RuleType::match, "", "proxy"},
        {" match , proxy ", RuleType::match, "", "proxy"},
        {"FINAL,proxy", RuleType::match, "", "proxy"},
    });
    EXPECT_EQ(*parse_rule("NETWORK,udp,x").rule->network(), Network::udp);
    expect_bad({
        {"NETWORK,icmp,DIRECT", 9, "tcp or udp"},
        {"MATCH", 6, "missing target"},
        {"MATCH,", 7, "empty target"},
        {"MATCH,proxy,DIRECT", 13, "MATCH takes only a target"},
        {"PROCESS-NAME,,DIRECT", 14, "empty value"},
    });
}

TEST(RuleParseLogic, NestedThreeLevels) {
    auto result = parse_rule(
        "AND,((DOMAIN-SUFFIX,a.com),(OR,((NETWORK,udp),(NOT,((DST-PORT,53))))),"
        "(IP-CIDR,10.0.0.0/8,no-resolve)),proxy");
    ASSERT_TRUE(result.ok()) << result.error.column << ": " << result.error.message;
    const RuleSpec& rule = *result.rule;
    EXPECT_EQ(rule.type, RuleType::and_);
    EXPECT_EQ(rule.target, "proxy");
    ASSERT_EQ(rule.children.size(), 3u);
    EXPECT_EQ(rule.children[0].type, RuleType::domain_suffix);
    EXPECT_EQ(rule.children[0].payload, "a.com");
    EXPECT_EQ(rule.children[0].column, 7);
    EXPECT_TRUE(rule.children[0].target.empty());
    const RuleSpec& or_rule = rule.children[1];
    EXPECT_EQ(or_rule.type, RuleType::or_);
    ASSERT_EQ(or_rule.children.size(), 2u);
    EXPECT_EQ(*or_rule.children[0].network(), Network::udp);
    const RuleSpec& not_rule = or_rule.children[1];
    EXPECT_EQ(not_rule.type, RuleType::not_);
    ASSERT_EQ(not_rule.children.size(), 1u);
    EXPECT_EQ(*not_rule.children[0].ports(), (PortList{{53, 53}}));
    EXPECT_TRUE(rule.children[2].no_resolve);
    EXPECT_EQ(to_clash_string(rule),
              "AND,((DOMAIN-SUFFIX,a.com),(OR,((NETWORK,udp),(NOT,((DST-PORT,53))))),"
              "(IP-CIDR,10.0.0.0/8,no-resolve)),proxy");
}

TEST(RuleParseLogic, ToleratesWhitespace) {
    auto result = parse_rule("OR , ( (DOMAIN, a.com) , ( NETWORK ,udp ) ) , DIRECT");
    ASSERT_TRUE(result.ok()) << result.error.column << ": " << result.error.message;
    EXPECT_EQ(result.rule->children.size(), 2u);
    EXPECT_EQ(result.rule->target, "DIRECT");
}

TEST(RuleParseLogic, MalformedParenthesesAndSubRules) {
    expect_bad({
        {"AND,((DOMAIN,a.com),(NETWORK,udp),DIRECT", 5, "unclosed '('"},
        {"AND,((DOMAIN,a.com)),(NETWORK,udp)),DIRECT", 34, "unmatched ')'"},
        {"AND,(DOMAIN,a.com),DIRECT", 6, "must be in parentheses"},
        {"AND,DOMAIN,DIRECT", 5, "in parentheses"},
        {"AND,(),DIRECT", 5, "needs a sub-rule"},
        {"AND,((DOMAIN,a.com),),DIRECT", 21, "empty sub-rule"},
        {"AND,((DOMAIN,a.com)) x,DIRECT", 22, "unexpected text after ')'"},
        {"AND,((DOMAIN,a.com))", 21, "missing target"},
        {"NOT,((DOMAIN,a.com),(DOMAIN,b.com)),DIRECT", 5, "exactly one"},
        {"AND,((DOMAIN,a.com),(NETWORK,icmp)),DIRECT", 30, "tcp or udp"},
        {"AND,((DOMAIN,a.com,DIRECT)),DIRECT", 20, "take no target"},
        {"OR,((AND,((DOMAIN,bad..name))),(NETWORK,udp)),DIRECT", 19, "invalid domain"},
        {"AND,((MATCH,x)),DIRECT", 7, "MATCH is only allowed"},
        {"AND,((DOMAIN,a.com)),DIRECT,no-resolve", 29, "no-resolve applies only"},
    });
    std::string deep = "DOMAIN,a.com";
    for (int i = 0; i < 40; ++i) deep = "NOT,((" + deep + "))";
    auto result = parse_rule(deep + ",DIRECT");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error.message.find("nested deeper"), std::string::npos);
}

TEST(RuleParseWithoutTarget, ClassicalEntries) {
    auto a = parse_rule_without_target("DOMAIN-SUFFIX,google.com");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a.rule->payload, "google.com");
    EXPECT_TRUE(a.rule->target.empty());
    auto b = parse_rule_without_target("IP-CIDR,1.0.0.0/8,no-resolve");
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(b.rule->no_resolve);
    auto c = parse_rule_without_target("DOMAIN-REGEX,^a{1,3}$");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.rule->payload, "^a{1,3}$");
    expect_bad(
        {
            {"DOMAIN-SUFFIX,google.com,proxy", 26, "take no target"},
            {"MATCH,proxy", 1, "MATCH is only allowed"},
        },
        false);
}

TEST(RuleParseRoundTrip, CanonicalText) {
    for (std::string line :
         {"DOMAIN-SUFFIX,google.com,proxy", "IP-CIDR6,2001:db8::/32,x,no-resolve",
          "DST-PORT,80/443/8000-9000,DIRECT", "MATCH,proxy", "GEOIP,CN,DIRECT"}) {
        auto result = parse_rule(line);
        ASSERT_TRUE(result.ok()) << line;
        EXPECT_EQ(to_clash_string(*result.rule), line);
    }
}

}  // namespace
}  // namespace shunt::rules

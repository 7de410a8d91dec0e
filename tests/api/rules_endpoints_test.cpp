// Rule payloads as mihomo prints them in /rules (docs/api.md §2.5).
#include "api/rules_endpoints.hpp"

#include <gtest/gtest.h>

#include "rules/parse/rule_parser.hpp"

namespace shunt::api {
namespace {

TEST(MihomoRulePayload, PlainAndLogicRules) {
    const std::pair<const char*, const char*> cases[] = {
        {"DOMAIN-SUFFIX,example.com,DIRECT", "example.com"},
        {"IP-CIDR,10.0.0.0/8,DIRECT,no-resolve", "10.0.0.0/8"},
        {"DST-PORT,443,DIRECT", "443"},
        {"MATCH,DIRECT", ""},
        {"AND,((DST-PORT,443),(NETWORK,udp)),REJECT", "((DstPort,443) && (Network,udp))"},
        {"OR,((DOMAIN,a.com),(DOMAIN,b.com)),DIRECT", "((Domain,a.com) || (Domain,b.com))"},
        {"NOT,((DOMAIN,x.com)),DIRECT", "(!(Domain,x.com))"},
    };
    for (const auto& [text, payload] : cases) {
        const auto parsed = rules::parse_rule(text);
        ASSERT_TRUE(parsed.rule) << text;
        EXPECT_EQ(mihomo_rule_payload(*parsed.rule), payload) << text;
    }
}

}  // namespace
}  // namespace shunt::api

// GET /rules, GET /providers/rules and PUT /providers/rules/{name} (docs/api.md §2.4,
// §2.5): the rule list in match order with mihomo's type names, and each rule set with its
// size and when it was read; PUT reads the sets again and swaps them in at once (a bad file
// keeps the running rules and says why).
#pragma once

#include <string>

#include "api/api_router.hpp"
#include "api/running_shunt.hpp"

namespace shunt::api {

void add_rule_endpoints(ApiRouter& router, RunningShunt& shunt);

// A rule's payload as mihomo prints it: "example.com", "443", "" for MATCH, and logic
// rules as "((DstPort,443) && (Network,udp))", "(!(Domain,x))".
std::string mihomo_rule_payload(const rules::RuleSpec& rule);

}  // namespace shunt::api

// Rule types as mihomo's API names them (docs/api.md §2.5): /rules' `type` and
// /connections' `rule` say "DomainSuffix" where shunt's config says DOMAIN-SUFFIX, and
// dashboards show and filter by those names.
#pragma once

#include <string_view>

#include "rules/parse/rule_spec.hpp"

namespace shunt::api {

std::string_view mihomo_rule_name(rules::RuleType type);
// A name as FlowRecord::rule holds it: a rule type's config name ("DOMAIN-SUFFIX"), or
// what is not a rule type ("GLOBAL", "DIRECT" for the modes), which passes unchanged.
std::string_view mihomo_rule_name(std::string_view shunt_name);

}  // namespace shunt::api

// Parses one rule written in Clash syntax into a RuleSpec:
//   TYPE,VALUE,TARGET[,no-resolve]
//   MATCH,TARGET
//   AND,((TYPE,VALUE),(TYPE,VALUE)),TARGET   (also OR; NOT takes exactly one sub-rule)
// docs/rules.md describes the accepted syntax and every normalisation.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rules/parse/rule_spec.hpp"

namespace shunt::rules {

struct ParseError {
    int column = 0;  // 1-based, pointing at the offending field (or the character in it)
    std::string message;
};

struct ParseResult {
    std::optional<RuleSpec> rule;  // set on success
    ParseError error;              // meaningful only when !ok()
    bool ok() const { return rule.has_value(); }
};

// A rule from the config's `rules` list: the target is required and must be non-empty.
// It is not checked against proxy names here; the loader knows them.
ParseResult parse_rule(std::string_view line);

// An entry of a classical rule-set file: the same syntax without the target
// ("DOMAIN-SUFFIX,google.com", "IP-CIDR,1.0.0.0/8,no-resolve"). MATCH is refused.
ParseResult parse_rule_without_target(std::string_view line);

}  // namespace shunt::rules

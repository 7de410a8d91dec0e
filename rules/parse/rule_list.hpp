// Parses the config's `rules` list: every line through parse_rule, plus the checks that
// need the whole list (MATCH last, at most once). Every error is reported, not just
// the first, so one `shunt check` run shows everything to fix.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rules/parse/rule_error.hpp"
#include "rules/parse/rule_spec.hpp"

namespace shunt::rules {

struct RuleListResult {
    // The rules that parsed, in order, with line and column set from their position
    // (columns of sub-rules too). Rules with errors are left out.
    std::vector<RuleSpec> rules;
    std::vector<RuleLoadError> errors;
    bool ok() const { return errors.empty(); }
};

// Each rule text with the position of its first character. A list without MATCH is
// valid: connections no rule matches take the engine's default outbound (DIRECT).
RuleListResult parse_rule_list(const std::vector<std::pair<std::string, SourcePosition>>& lines);

}  // namespace shunt::rules

#include "rules/parse/rule_list.hpp"

#include "rules/parse/rule_parser.hpp"

namespace shunt::rules {

namespace {

// parse_rule counts columns inside the rule text; the config counts them in the file.
void place(RuleSpec& rule, const SourcePosition& where) {
    rule.line = where.line;
    rule.column = where.column + rule.column - 1;
    for (auto& child : rule.children) place(child, where);
}

}  // namespace

RuleListResult parse_rule_list(const std::vector<std::pair<std::string, SourcePosition>>& lines) {
    RuleListResult result;
    result.rules.reserve(lines.size());
    const SourcePosition* first_match = nullptr;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& [text, where] = lines[i];
        auto parsed = parse_rule(text);
        if (!parsed.ok()) {
            result.errors.push_back({where.file, where.line, where.column + parsed.error.column - 1,
                                     std::move(parsed.error.message)});
            continue;
        }
        RuleSpec rule = std::move(*parsed.rule);
        place(rule, where);
        if (rule.type == RuleType::match) {
            if (first_match) {
                result.errors.push_back({where.file, where.line, rule.column,
                                         "more than one MATCH rule (the first is at " +
                                             first_match->file + ':' +
                                             std::to_string(first_match->line) + ")"});
            } else {
                first_match = &where;
                if (i + 1 < lines.size())
                    result.errors.push_back({where.file, where.line, rule.column,
                                             "MATCH must be the last rule: the " +
                                                 std::to_string(lines.size() - i - 1) +
                                                 " rule(s) after it could never match"});
            }
        }
        result.rules.push_back(std::move(rule));
    }
    return result;
}

}  // namespace shunt::rules

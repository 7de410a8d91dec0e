#include "rules/parse/rule_set_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/regular_file.hpp"
#include "rules/parse/rule_parser.hpp"
#include "rules/parse/rule_values.hpp"

namespace shunt::rules {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view text, std::size_t& skipped) {
    skipped = 0;
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
        ++skipped;
    }
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

bool is_comment(std::string_view entry) {
    return entry.front() == '#' || entry.starts_with("//");
}

class RuleSetParser {
  public:
    RuleSetParser(RuleSetBehavior behavior, const std::string& file) : file_(file) {
        entries_.behavior = behavior;
    }

    void parse(std::string_view text) {
        // A rough count of lines lets the vectors be sized once.
        std::size_t estimate =
            static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
        switch (entries_.behavior) {
            case RuleSetBehavior::domain:
                entries_.domains.reserve(estimate);
                break;
            case RuleSetBehavior::ipcidr:
                entries_.cidrs.reserve(estimate);
                break;
            case RuleSetBehavior::classical:
                entries_.rules.reserve(estimate);
                break;
        }
        bool yaml = false;
        bool seen_content = false;
        int line_number = 0;
        while (!text.empty()) {
            auto newline = text.find('\n');
            std::string_view line = text.substr(0, newline);
            text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
            ++line_number;
            std::size_t column = 0;
            std::string_view entry = trim(line, column);
            if (entry.empty() || is_comment(entry)) continue;
            if (!seen_content) {
                seen_content = true;
                // Clash's YAML providers: "payload:" then one "- entry" per line.
                if (entry == "payload:") {
                    yaml = true;
                    continue;
                }
            }
            if (yaml && !unwrap_yaml_item(entry, column, line_number)) continue;
            add(entry, line_number, static_cast<int>(column) + 1);
        }
        entries_.domains.shrink_to_fit();
        entries_.cidrs.shrink_to_fit();
        entries_.rules.shrink_to_fit();
    }

    RuleSetEntries take() { return std::move(entries_); }

    void error(int line, int column, std::string message) {
        if (entries_.errors.size() < kMaxReportedErrors)
            entries_.errors.push_back({file_, line, column, std::move(message)});
        ++entries_.error_count;
    }

  private:
    // "- 'a.com'" → "a.com", keeping the column in step.
    bool unwrap_yaml_item(std::string_view& entry, std::size_t& column, int line) {
        if (entry.front() != '-') {
            error(line, static_cast<int>(column) + 1, "expected a \"- entry\" line after payload:");
            return false;
        }
        std::size_t skipped = 0;
        entry = trim(entry.substr(1), skipped);
        column += 1 + skipped;
        if (entry.size() >= 2 && (entry.front() == '\'' || entry.front() == '"') &&
            entry.back() == entry.front()) {
            entry = entry.substr(1, entry.size() - 2);
            column += 1;
        }
        if (entry.empty()) {
            error(line, static_cast<int>(column) + 1, "empty entry");
            return false;
        }
        return true;
    }

    void add(std::string_view entry, int line, int column) {
        switch (entries_.behavior) {
            case RuleSetBehavior::domain:
                add_domain(entry, line, column);
                break;
            case RuleSetBehavior::ipcidr:
                add_cidr(entry, line, column);
                break;
            case RuleSetBehavior::classical:
                add_rule(entry, line, column);
                break;
        }
    }

    void add_domain(std::string_view entry, int line, int column) {
        if (auto bad = first_non_ascii(entry); bad != std::string_view::npos) {
            error(line, column + static_cast<int>(bad),
                  "non-ASCII domain: write internationalised names in punycode (xn--...)");
            return;
        }
        if (entry.find(',') != std::string_view::npos) {
            error(line, column,
                  "a domain rule set holds names, not rules: use behavior classical for '" +
                      std::string(entry) + "'");
            return;
        }
        std::string message;
        auto pattern = DomainPattern::parse(entry, &message);
        if (!pattern) {
            error(line, column, std::move(message));
            return;
        }
        entries_.domains.push_back(std::move(*pattern));
    }

    void add_cidr(std::string_view entry, int line, int column) {
        auto prefix = parse_cidr(entry);
        if (!prefix) {
            error(line, column, "invalid CIDR '" + std::string(entry) + "'");
            return;
        }
        entries_.cidrs.push_back(*prefix);
    }

    void add_rule(std::string_view entry, int line, int column) {
        auto parsed = parse_rule_without_target(entry);
        if (!parsed.ok()) {
            error(line, column + parsed.error.column - 1, std::move(parsed.error.message));
            return;
        }
        // A set referring to sets would need cycle checks and load ordering for no
        // gain users have asked for; Clash has no such thing either.
        if (const RuleSpec* nested = find_rule_set(*parsed.rule)) {
            error(line, column + nested->column - 1,
                  "RULE-SET cannot be used inside a rule-set file");
            return;
        }
        parsed.rule->line = line;
        shift_columns(*parsed.rule, column - 1);
        entries_.rules.push_back(std::move(*parsed.rule));
    }

    static const RuleSpec* find_rule_set(const RuleSpec& rule) {
        if (rule.type == RuleType::rule_set) return &rule;
        for (const auto& child : rule.children)
            if (const RuleSpec* found = find_rule_set(child)) return found;
        return nullptr;
    }

    static void shift_columns(RuleSpec& rule, int by) {
        rule.column += by;
        for (auto& child : rule.children) {
            child.line = rule.line;
            shift_columns(child, by);
        }
    }

    const std::string& file_;
    RuleSetEntries entries_;
};

}  // namespace

std::optional<RuleSetBehavior> rule_set_behavior_from_name(std::string_view name) {
    if (name == "domain") return RuleSetBehavior::domain;
    if (name == "ipcidr") return RuleSetBehavior::ipcidr;
    if (name == "classical") return RuleSetBehavior::classical;
    return std::nullopt;
}

RuleSetEntries parse_rule_set_text(std::string_view text, RuleSetBehavior behavior,
                                   const std::string& file) {
    RuleSetParser parser(behavior, file);
    parser.parse(text);
    return parser.take();
}

RuleSetEntries load_rule_set_file(const std::string& path, RuleSetBehavior behavior) {
    // One read into one buffer: a million-line file is a few tens of megabytes at most.
    std::string why;
    auto content = read_regular_file(path, kMaxConfiguredFileBytes, &why);
    if (!content) {
        RuleSetParser parser(behavior, path);
        parser.error(0, 0, "cannot read rule set: " + why);
        return parser.take();
    }
    return parse_rule_set_text(*content, behavior, path);
}

}  // namespace shunt::rules

#include "rules/parse/rule_parser.hpp"

#include <vector>

#include "rules/match/domain_regex.hpp"
#include "rules/parse/rule_values.hpp"

namespace shunt::rules {

namespace {

// Deeper nesting than this is certainly a mistake, and the limit keeps a hostile line
// from exhausting the stack through recursion.
constexpr int kMaxLogicDepth = 32;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool equals_ignoring_case(std::string_view a, std::string_view lower) {
    if (a.size() != lower.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lower[i]) return false;
    }
    return true;
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string to_upper(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

// A piece of the line with its position, so every error can name its column.
struct Field {
    std::string_view text;
    std::size_t offset = 0;  // of text inside the whole line
};

class RuleParser {
  public:
    explicit RuleParser(std::string_view line) : line_(line) {}

    ParseResult parse(bool with_target) {
        ParseResult result;
        result.rule = parse_range(0, line_.size(), with_target, 0);
        if (!result.rule) result.error = error_;
        return result;
    }

  private:
    std::optional<RuleSpec> parse_range(std::size_t begin, std::size_t end, bool with_target,
                                        int depth);
    bool parse_logic(RuleSpec& spec, const Field& type, std::size_t value_begin, std::size_t end,
                     bool with_target, int depth);
    bool parse_children(RuleSpec& spec, std::size_t begin, std::size_t end, int depth);
    bool parse_tail(RuleSpec& spec, const std::vector<Field>& fields, std::size_t first,
                    bool with_target, std::size_t end);
    bool parse_value(RuleSpec& spec, const Field& value);
    bool parse_domain(RuleSpec& spec, const Field& value);
    bool parse_ports(RuleSpec& spec, const Field& value);
    bool parse_prefix(RuleSpec& spec, const Field& value);

    Field trimmed(std::size_t begin, std::size_t end) const {
        std::size_t first = begin;
        while (first < end && is_space(line_[first])) ++first;
        std::size_t last = end;
        while (last > first && is_space(line_[last - 1])) --last;
        return Field{line_.substr(first, last - first), first};
    }
    // Splits [begin, end) at every comma: outside logic payloads parentheses mean
    // nothing (a proxy may be called "HK (fast)").
    std::vector<Field> split(std::size_t begin, std::size_t end) const {
        std::vector<Field> fields;
        fields.reserve(4);  // TYPE,VALUE,TARGET,no-resolve at most, in valid rules
        std::size_t start = begin;
        for (std::size_t i = begin; i <= end; ++i) {
            if (i == end || line_[i] == ',') {
                fields.push_back(trimmed(start, i));
                start = i + 1;
            }
        }
        return fields;
    }
    bool fail(std::size_t offset, std::string message) {
        error_.column = static_cast<int>(offset) + 1;
        error_.message = std::move(message);
        return false;
    }

    std::string_view line_;
    ParseError error_;
};

std::optional<RuleSpec> RuleParser::parse_range(std::size_t begin, std::size_t end,
                                                bool with_target, int depth) {
    std::size_t comma = line_.find(',', begin);
    if (comma >= end) comma = end;
    Field type = trimmed(begin, comma);
    if (type.text.empty()) {
        fail(type.offset, comma == end ? "empty rule" : "missing rule type before ','");
        return std::nullopt;
    }
    auto kind = rule_type_from_name(type.text);
    if (!kind) {
        fail(type.offset, "unknown rule type '" + std::string(type.text) + "'");
        return std::nullopt;
    }
    RuleSpec spec;
    spec.type = *kind;
    spec.column = static_cast<int>(type.offset) + 1;

    if (spec.type == RuleType::match) {
        if (!with_target) {
            fail(type.offset, "MATCH is only allowed in the rules list, as MATCH,TARGET");
            return std::nullopt;
        }
        if (comma == end) {
            fail(end, "missing target: expected MATCH,TARGET");
            return std::nullopt;
        }
        auto fields = split(comma + 1, end);
        if (fields.size() > 1) {
            fail(fields[1].offset, "unexpected field '" + std::string(fields[1].text) +
                                       "': MATCH takes only a target");
            return std::nullopt;
        }
        if (fields[0].text.empty()) {
            fail(fields[0].offset, "empty target");
            return std::nullopt;
        }
        spec.target = std::string(fields[0].text);
        return spec;
    }
    if (comma == end) {
        fail(end, "missing value: expected " + std::string(rule_type_name(spec.type)) +
                      (with_target ? ",VALUE,TARGET" : ",VALUE"));
        return std::nullopt;
    }
    if (is_logic_rule(spec.type)) {
        if (depth >= kMaxLogicDepth) {
            fail(type.offset, "logic rules nested deeper than " + std::to_string(kMaxLogicDepth));
            return std::nullopt;
        }
        if (!parse_logic(spec, type, comma + 1, end, with_target, depth)) return std::nullopt;
        return spec;
    }

    auto fields = split(comma + 1, end);
    if (spec.type == RuleType::domain_regex) {
        // A regex may contain commas ("a{1,3}"); it never takes parameters, so with a
        // target everything up to the last comma is the pattern, and without one
        // everything after the type.
        if (with_target && fields.size() > 1) {
            // The last field starts after its comma (an empty one may sit at the very end).
            std::size_t last_comma = fields.back().offset - 1;
            while (line_[last_comma] != ',') --last_comma;
            fields = {trimmed(comma + 1, last_comma), fields.back()};
        } else if (!with_target) {
            fields = {trimmed(comma + 1, end)};
        }
    }
    if (!parse_tail(spec, fields, 1, with_target, end)) return std::nullopt;
    if (!parse_value(spec, fields[0])) return std::nullopt;
    return spec;
}

// fields[first..] are TARGET (when with_target) and then parameters.
bool RuleParser::parse_tail(RuleSpec& spec, const std::vector<Field>& fields, std::size_t first,
                            bool with_target, std::size_t end) {
    std::size_t index = first;
    if (with_target) {
        if (index >= fields.size())
            return fail(end, "missing target: expected " + std::string(rule_type_name(spec.type)) +
                                 ",VALUE,TARGET");
        const Field& target = fields[index++];
        if (target.text.empty()) return fail(target.offset, "empty target");
        if (equals_ignoring_case(target.text, "no-resolve"))
            return fail(target.offset, "missing target before no-resolve");
        spec.target = std::string(target.text);
    }
    for (; index < fields.size(); ++index) {
        const Field& param = fields[index];
        if (equals_ignoring_case(param.text, "no-resolve")) {
            // SRC-IP-CIDR looks at the source address, which is always known: Clash
            // accepts the flag there and it changes nothing, so we do the same.
            if (spec.type == RuleType::src_ip_cidr) continue;
            if (!is_resolving_ip_rule(spec.type))
                return fail(param.offset,
                            "no-resolve applies only to IP-CIDR, IP-CIDR6, GEOIP, "
                            "SRC-IP-CIDR and RULE-SET rules");
            spec.no_resolve = true;
            continue;
        }
        std::string message = "unexpected field '" + std::string(param.text) + "'";
        if (spec.type == RuleType::dst_port || spec.type == RuleType::src_port)
            message += ": write port lists with '/', e.g. 80/443/8000-9000";
        else if (!with_target)
            message += ": sub-rules and rule-set entries take no target";
        return fail(param.offset, std::move(message));
    }
    return true;
}

bool RuleParser::parse_logic(RuleSpec& spec, const Field& type, std::size_t value_begin,
                             std::size_t end, bool with_target, int depth) {
    std::size_t open = value_begin;
    while (open < end && is_space(line_[open])) ++open;
    if (open >= end || line_[open] != '(')
        return fail(open, std::string(type.text) + " expects its sub-rules in parentheses: " +
                              std::string(rule_type_name(spec.type)) +
                              ",((TYPE,VALUE),(TYPE,VALUE))");
    std::size_t close = open;
    int level = 0;
    for (; close < end; ++close) {
        if (line_[close] == '(') ++level;
        if (line_[close] == ')' && --level == 0) break;
    }
    if (close >= end) return fail(open, "unclosed '('");
    spec.payload = std::string(line_.substr(open, close + 1 - open));

    std::size_t after = close + 1;
    while (after < end && is_space(line_[after])) ++after;
    std::vector<Field> fields;
    if (after < end) {
        if (line_[after] != ',') return fail(after, "unexpected text after ')'");
        fields = split(after + 1, end);
        // Targets may contain parentheses ("HK (fast)"), so only fields past the target
        // are checked: a ')' there means the sub-rules ran past the outer parentheses.
        for (std::size_t i = with_target ? 1 : 0; i < fields.size(); ++i) {
            auto stray = fields[i].text.find(')');
            if (stray != std::string_view::npos)
                return fail(fields[i].offset + stray,
                            "unmatched ')': sub-rules belong inside the outer parentheses");
        }
    }
    fields.insert(fields.begin(), Field{});  // parse_tail starts after the value
    if (!parse_tail(spec, fields, 1, with_target, end)) return false;
    return parse_children(spec, open + 1, close, depth);
}

// [begin, end) is the inside of the outer parentheses: "(A,x),(B,y)".
bool RuleParser::parse_children(RuleSpec& spec, std::size_t begin, std::size_t end, int depth) {
    std::size_t start = begin;
    int level = 0;
    for (std::size_t i = begin; i <= end; ++i) {
        if (i < end && line_[i] == '(') ++level;
        if (i < end && line_[i] == ')') --level;
        if (i < end && !(line_[i] == ',' && level == 0)) continue;
        Field item = trimmed(start, i);
        start = i + 1;
        if (item.text.empty()) {
            if (i == end && spec.children.empty()) break;  // "()" is reported below
            return fail(item.offset, "empty sub-rule");
        }
        if (item.text.front() != '(' || item.text.back() != ')')
            return fail(item.offset, "a sub-rule must be in parentheses: (TYPE,VALUE)");
        auto child =
            parse_range(item.offset + 1, item.offset + item.text.size() - 1, false, depth + 1);
        if (!child) return false;
        spec.children.push_back(std::move(*child));
    }
    if (spec.children.empty())
        return fail(begin - 1, std::string(rule_type_name(spec.type)) + " needs a sub-rule");
    if (spec.type == RuleType::not_ && spec.children.size() != 1)
        return fail(begin - 1, "NOT takes exactly one sub-rule: NOT,((TYPE,VALUE))");
    return true;
}

bool RuleParser::parse_value(RuleSpec& spec, const Field& value) {
    if (value.text.empty()) return fail(value.offset, "empty value");
    switch (spec.type) {
        case RuleType::domain:
        case RuleType::domain_suffix:
            return parse_domain(spec, value);
        case RuleType::domain_keyword:
            if (auto bad = first_non_ascii(value.text); bad != std::string_view::npos)
                return fail(value.offset + bad,
                            "non-ASCII keyword: domains are matched in punycode (xn--...)");
            // Names are matched in lower case, so an upper-case keyword could never match.
            spec.payload = to_lower(value.text);
            return true;
        case RuleType::domain_regex: {
            // Validated by the engine that will match it (DomainRegex: RE2, Go's syntax).
            std::string error;
            if (!DomainRegex::compile(value.text, &error))
                return fail(value.offset, "invalid regex: " + error);
            spec.payload = std::string(value.text);
            return true;
        }
        case RuleType::ip_cidr:
        case RuleType::ip_cidr6:
        case RuleType::src_ip_cidr:
            return parse_prefix(spec, value);
        case RuleType::geoip: {
            bool letters = true;
            for (char c : value.text)
                letters = letters && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
            spec.payload = to_upper(value.text);
            if (!letters || (value.text.size() != 2 && spec.payload != "LAN"))
                return fail(value.offset, "GEOIP expects a two-letter country code or LAN, got '" +
                                              std::string(value.text) + "'");
            return true;
        }
        case RuleType::dst_port:
        case RuleType::src_port:
            return parse_ports(spec, value);
        case RuleType::network:
            if (equals_ignoring_case(value.text, "tcp")) {
                spec.value = Network::tcp;
            } else if (equals_ignoring_case(value.text, "udp")) {
                spec.value = Network::udp;
            } else {
                return fail(value.offset,
                            "NETWORK expects tcp or udp, got '" + std::string(value.text) + "'");
            }
            spec.payload = to_lower(value.text);
            return true;
        case RuleType::process_name:
        case RuleType::process_path:
        case RuleType::rule_set:
            spec.payload = std::string(value.text);
            return true;
        case RuleType::and_:
        case RuleType::or_:
        case RuleType::not_:
        case RuleType::match:
            break;
    }
    return true;
}

bool RuleParser::parse_domain(RuleSpec& spec, const Field& value) {
    std::string_view text = value.text;
    std::size_t skipped = 0;
    // Some old lists write ".example.com" for a suffix; Clash then never matches, which
    // is surely not what the author meant.
    if (spec.type == RuleType::domain_suffix && text.size() > 1 && text.front() == '.') {
        text.remove_prefix(1);
        skipped = 1;
    }
    ValueError error;
    auto normalized = normalize_rule_domain(text, error);
    if (!normalized) return fail(value.offset + skipped + error.offset, std::move(error.message));
    spec.payload = std::move(*normalized);
    return true;
}

bool RuleParser::parse_ports(RuleSpec& spec, const Field& value) {
    ValueError error;
    auto ports = parse_port_list(value.text, error);
    if (!ports) return fail(value.offset + error.offset, std::move(error.message));
    spec.payload = std::string(value.text);
    spec.value = std::move(*ports);
    return true;
}

bool RuleParser::parse_prefix(RuleSpec& spec, const Field& value) {
    auto prefix = parse_cidr(value.text);
    if (!prefix) return fail(value.offset, "invalid CIDR '" + std::string(value.text) + "'");
    spec.payload = prefix->to_string();
    spec.value = *prefix;
    return true;
}

}  // namespace

ParseResult parse_rule(std::string_view line) {
    return RuleParser(line).parse(true);
}

ParseResult parse_rule_without_target(std::string_view line) {
    return RuleParser(line).parse(false);
}

}  // namespace shunt::rules

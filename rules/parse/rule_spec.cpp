#include "rules/parse/rule_spec.hpp"

#include <array>
#include <utility>

namespace shunt::rules {

namespace {

struct TypeName {
    RuleType type;
    std::string_view name;
};

// Canonical names first: rule_type_name() returns the first entry of a type.
constexpr std::array kTypeNames{
    TypeName{RuleType::domain, "DOMAIN"},
    TypeName{RuleType::domain_suffix, "DOMAIN-SUFFIX"},
    TypeName{RuleType::domain_keyword, "DOMAIN-KEYWORD"},
    TypeName{RuleType::domain_regex, "DOMAIN-REGEX"},
    TypeName{RuleType::ip_cidr, "IP-CIDR"},
    TypeName{RuleType::ip_cidr6, "IP-CIDR6"},
    TypeName{RuleType::src_ip_cidr, "SRC-IP-CIDR"},
    TypeName{RuleType::geoip, "GEOIP"},
    TypeName{RuleType::dst_port, "DST-PORT"},
    TypeName{RuleType::src_port, "SRC-PORT"},
    TypeName{RuleType::network, "NETWORK"},
    TypeName{RuleType::process_name, "PROCESS-NAME"},
    TypeName{RuleType::process_path, "PROCESS-PATH"},
    TypeName{RuleType::and_, "AND"},
    TypeName{RuleType::or_, "OR"},
    TypeName{RuleType::not_, "NOT"},
    TypeName{RuleType::rule_set, "RULE-SET"},
    TypeName{RuleType::match, "MATCH"},
    // Spellings of early Clash releases still found in old lists.
    TypeName{RuleType::src_ip_cidr, "SOURCE-IP-CIDR"},
    TypeName{RuleType::match, "FINAL"},
};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
        if (x != b[i]) return false;  // b is a canonical upper-case name
    }
    return true;
}

std::string ports_to_string(const PortList& ports) {
    std::string out;
    for (const auto& range : ports) {
        if (!out.empty()) out += '/';
        out += std::to_string(range.first);
        if (range.last != range.first) out += '-' + std::to_string(range.last);
    }
    return out;
}

}  // namespace

std::string_view rule_type_name(RuleType type) {
    for (const auto& entry : kTypeNames)
        if (entry.type == type) return entry.name;
    return "?";
}

std::optional<RuleType> rule_type_from_name(std::string_view name) {
    for (const auto& entry : kTypeNames)
        if (equals_ignoring_case(name, entry.name)) return entry.type;
    return std::nullopt;
}

bool is_resolving_ip_rule(RuleType type) {
    return type == RuleType::ip_cidr || type == RuleType::ip_cidr6 || type == RuleType::geoip ||
           type == RuleType::rule_set;
}

bool is_logic_rule(RuleType type) {
    return type == RuleType::and_ || type == RuleType::or_ || type == RuleType::not_;
}

std::string to_clash_string(const RuleSpec& rule) {
    std::string out(rule_type_name(rule.type));
    if (rule.type != RuleType::match) {
        out += ',';
        if (is_logic_rule(rule.type)) {
            out += '(';
            for (std::size_t i = 0; i < rule.children.size(); ++i) {
                if (i > 0) out += ',';
                out += '(' + to_clash_string(rule.children[i]) + ')';
            }
            out += ')';
        } else if (const auto* prefix = rule.prefix()) {
            out += prefix->to_string();
        } else if (const auto* ports = rule.ports()) {
            out += ports_to_string(*ports);
        } else {
            out += rule.payload;
        }
    }
    if (!rule.target.empty()) out += ',' + rule.target;
    if (rule.no_resolve) out += ",no-resolve";
    return out;
}

}  // namespace shunt::rules

// Rule-set files in Clash's text format, read for one of the three behaviors:
//   domain     "example.com" exactly, "+.example.com" it and every subdomain,
//              ".example.com" only subdomains, "*.example.com" exactly one label more
//   ipcidr     one CIDR per line, IPv4 or IPv6
//   classical  one rule per line without target: "DOMAIN-SUFFIX,google.com"
// One entry per line; blank lines and lines starting with '#' or "//" are skipped.
// Files in Clash's YAML provider form ("payload:" then "- 'entry'" lines) are read too.
// Sized for 10^6 lines: one read of the file, no regex and no allocation per line
// beyond the entry itself.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/domain_pattern.hpp"
#include "net/ip_address.hpp"
#include "rules/parse/rule_error.hpp"
#include "rules/parse/rule_spec.hpp"

namespace shunt::rules {

enum class RuleSetBehavior { domain, ipcidr, classical };

// "domain", "ipcidr", "classical" (lower case, as Clash writes them).
std::optional<RuleSetBehavior> rule_set_behavior_from_name(std::string_view name);

struct RuleSetEntries {
    RuleSetBehavior behavior = RuleSetBehavior::domain;
    std::vector<DomainPattern> domains;  // behavior domain
    std::vector<Prefix> cidrs;           // behavior ipcidr
    std::vector<RuleSpec> rules;         // behavior classical: target empty, line set
    // The first kMaxReportedErrors errors; a bad file of a million lines must not
    // produce a million messages. error_count counts them all.
    std::vector<RuleLoadError> errors;
    std::size_t error_count = 0;
    std::size_t entry_count() const { return domains.size() + cidrs.size() + rules.size(); }
    bool ok() const { return error_count == 0; }
};

inline constexpr std::size_t kMaxReportedErrors = 100;

// `file` names the source in errors.
RuleSetEntries parse_rule_set_text(std::string_view text, RuleSetBehavior behavior,
                                   const std::string& file);
// Reads the file at `path`; an unreadable file is one error at line 0.
RuleSetEntries load_rule_set_file(const std::string& path, RuleSetBehavior behavior);

}  // namespace shunt::rules

// CompiledRules: a Clash rule list compiled for per-connection evaluation.
//
// First match wins, exactly as a rule-by-rule scan would decide, but:
//  - DOMAIN/DOMAIN-SUFFIX (and domain rule-set entries) sit in one DomainMatcher,
//    DOMAIN-KEYWORD in one KeywordMatcher, IP-CIDR/IP-CIDR6 (and ipcidr rule-set entries)
//    in one IpPrefixTable, all valued by rule index: each gives the lowest matching index
//    among its rules in one lookup.
//  - Everything else is a RuleCondition checked in rule order, only while its index is
//    below the best index the matchers found.
// IP-CIDR first-match across overlapping prefixes: the table answers longest prefix, but
// the prefixes containing an address form a chain, so at compile time every prefix's
// value is lowered to the minimum index over itself and all prefixes containing it. The
// longest matching prefix then carries the lowest index of the whole chain: one lookup,
// no table per rule.
// Resolution: a connection with a domain but no address, reaching (before any match) an
// IP rule without no-resolve, gets needs_resolution = true and that rule's index; the
// caller resolves once, sets ConnectionMetadata::resolved and calls resume(), which goes
// on from that rule as Clash's rule-by-rule scan does (earlier rules, no-resolve IP rules
// included, never see the resolved address).
// Immutable after compile(): evaluate() may run on many threads; it does not allocate
// (except inside RE2 for a DOMAIN-REGEX rule whose literal prefilter passes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/engine/connection_metadata.hpp"
#include "rules/engine/country_lookup.hpp"
#include "rules/engine/rule_condition.hpp"
#include "rules/match/domain_matcher.hpp"
#include "rules/match/ip_prefix_table.hpp"
#include "rules/match/keyword_matcher.hpp"
#include "rules/parse/rule_set_file.hpp"
#include "rules/parse/rule_spec.hpp"

namespace shunt::rules {

struct Decision {
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    std::size_t rule_index = npos;  // npos: no rule matched, target DIRECT
    std::string_view target;        // views into the CompiledRules: valid while it lives
    RuleType type = RuleType::match;
    std::string_view payload;
    // The rule at rule_index needs the destination address: resolve the domain and call
    // evaluate() again with `resolved` set. target is that rule's, not a decision.
    bool needs_resolution = false;
    // For resume(): the lowest rule the domain matchers matched (kNoRule if none), so the
    // second pass does not look the name up again.
    static constexpr std::uint32_t kNoRule = UINT32_MAX;
    std::uint32_t name_rule = kNoRule;
};

// Parsed rule-set files by the name RULE-SET rules use.
using RuleSetLibrary = std::map<std::string, RuleSetEntries, std::less<>>;

struct CompileOptions {
    // Needed when the list has GEOIP rules; must outlive the CompiledRules.
    const CountryLookup* countries = nullptr;
    // Needed when the list has RULE-SET rules; read during compile() only.
    const RuleSetLibrary* rule_sets = nullptr;
    // Kept alive by the CompiledRules (typically the database behind `countries`), so a
    // rule list swapped out on reload takes its database with it when the last
    // connection deciding with it is done.
    std::shared_ptr<const void> keep_alive = nullptr;
};

class CompiledRules {
  public:
    CompiledRules() = default;  // no rules: everything DIRECT

    // Throws std::invalid_argument for an unknown rule set, a GEOIP rule without a country
    // lookup, or a list longer than the matchers' value range.
    static CompiledRules compile(const std::vector<RuleSpec>& rules,
                                 const CompileOptions& options = {});

    // The first pass. With `resolved` set (and no `destination`) it is a continuation
    // and behaves as resume() does, recomputing the name matches.
    Decision evaluate(const ConnectionMetadata& metadata) const;
    // The second pass, after `first` asked for resolution and the caller set
    // metadata.resolved: goes on from the rule that asked, as Clash does: rules before it
    // were decided without an address and are not reconsidered. With `resolved` unset the
    // name did not resolve: rules that want an address miss and the scan goes on.
    Decision resume(const ConnectionMetadata& metadata, const Decision& first) const;

    std::size_t rule_count() const { return rules_.size(); }
    // Rules checked one by one (the rest are answered by the shared matchers).
    std::size_t sequential_count() const { return sequential_.size(); }
    // Some rule looks at PROCESS-NAME/PROCESS-PATH: only then is it worth asking the
    // kernel which process owns a connection's socket.
    bool wants_process() const { return wants_process_; }

  private:
    static constexpr std::uint32_t kNone = UINT32_MAX;

    struct RuleInfo {
        RuleType type;
        std::string target;
        std::string payload;
    };
    struct SequentialRule {
        std::uint32_t index;
        RuleCondition condition;
    };

    Decision decision_for(std::uint32_t index, bool needs_resolution,
                          std::uint32_t name_rule) const;
    std::uint32_t name_match(std::string_view domain) const;

    std::vector<RuleInfo> rules_;
    DomainMatcher domains_;
    KeywordMatcher keywords_;
    IpPrefixTable addresses_;
    // IP rules from first_resolving_rule_ on, for resume(); only built when some IP rule
    // (a no-resolve one) comes before it, else addresses_ serves.
    IpPrefixTable addresses_after_resolution_;
    bool separate_after_table_ = false;
    std::vector<SequentialRule> sequential_;  // ascending index
    std::uint32_t first_match_rule_ = kNone;  // lowest MATCH
    std::uint32_t first_resolving_rule_ = kNone;
    const CountryLookup* countries_ = nullptr;
    std::shared_ptr<const void> keep_alive_;
    bool wants_process_ = false;
};

}  // namespace shunt::rules

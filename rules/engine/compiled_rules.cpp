#include "rules/engine/compiled_rules.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace shunt::rules {
namespace {

using u128 = unsigned __int128;

// A prefix as (family, masked bits, length); IPv4-mapped IPv6 prefixes become the IPv4
// prefixes they denote, as IpPrefixTable stores them.
struct PrefixKey {
    bool v6;
    u128 bits;  // v4: the 32-bit value; v6: the 128-bit value
    int length;
    auto operator<=>(const PrefixKey&) const = default;
};

u128 mask_bits(u128 bits, int length, int width) {
    if (length == 0) return 0;
    const u128 all = ~u128{0};
    const u128 mask =
        (width == 32 ? (u128{0xffffffffu} << (32 - length)) & 0xffffffffu : all << (128 - length));
    return bits & mask;
}

PrefixKey key_of(const Prefix& prefix) {
    if (prefix.family() == IpAddress::Family::v4)
        return {false, prefix.base().v4(), prefix.length()};
    const u128 bits = prefix.base().to_u128();
    if (prefix.length() >= 96 && IpPrefixTable::is_v4_mapped(bits))
        return {false, static_cast<std::uint32_t>(bits), prefix.length() - 96};
    return {true, bits, prefix.length()};
}

Prefix prefix_of(const PrefixKey& key) {
    if (!key.v6)
        return Prefix(IpAddress::from_v4(static_cast<std::uint32_t>(key.bits)), key.length);
    return Prefix(IpAddress::from_v6_u128(key.bits), key.length);
}

// Gives every prefix the lowest index among itself and all prefixes containing it, so a
// longest-prefix lookup yields the first rule (in list order) containing the address.
std::vector<PrefixValue> first_match_values(std::map<PrefixKey, std::uint32_t>& lowest) {
    std::vector<std::map<PrefixKey, std::uint32_t>::iterator> by_length;
    for (auto it = lowest.begin(); it != lowest.end(); ++it) by_length.push_back(it);
    std::stable_sort(by_length.begin(), by_length.end(), [](const auto& a, const auto& b) {
        return a->first.length < b->first.length;
    });
    std::vector<PrefixValue> values;
    values.reserve(by_length.size());
    for (auto it : by_length) {
        const PrefixKey& key = it->first;
        const int width = key.v6 ? 128 : 32;
        // Ancestors are shorter, so already final: the nearest one carries the chain's minimum.
        for (int length = key.length - 1; length >= 0; --length) {
            auto ancestor = lowest.find({key.v6, mask_bits(key.bits, length, width), length});
            if (ancestor != lowest.end()) {
                it->second = std::min(it->second, ancestor->second);
                break;
            }
        }
        values.push_back({prefix_of(key), it->second});
    }
    return values;
}

DomainMatchKind matcher_kind(DomainPattern::Kind kind) {
    switch (kind) {
        case DomainPattern::Kind::exact:
            return DomainMatchKind::exact;
        case DomainPattern::Kind::suffix_and_self:
            return DomainMatchKind::suffix_and_self;
        default:
            return DomainMatchKind::strict_suffix;
    }
}

bool uses_process(const RuleSpec& rule) {
    if (rule.type == RuleType::process_name || rule.type == RuleType::process_path) return true;
    return std::any_of(rule.children.begin(), rule.children.end(), uses_process);
}

}  // namespace

CompiledRules CompiledRules::compile(const std::vector<RuleSpec>& rules,
                                     const CompileOptions& options) {
    if (rules.size() >= IpPrefixTable::kNoMatch) throw std::invalid_argument("too many rules");
    CompiledRules out;
    out.countries_ = options.countries;
    out.keep_alive_ = options.keep_alive;
    DomainMatcherBuilder domains;
    KeywordMatcherBuilder keywords;
    std::vector<std::pair<PrefixKey, std::uint32_t>> prefixes;

    auto add_prefix = [&](const Prefix& prefix, std::uint32_t index) {
        prefixes.emplace_back(key_of(prefix), index);
    };
    auto mark_resolving = [&](std::uint32_t index) {
        out.first_resolving_rule_ = std::min(out.first_resolving_rule_, index);
    };

    // Entries that a shared matcher answers go there; the rest become a condition.
    // Returns false when `rule` needs a condition.
    auto add_to_matchers = [&](const RuleSpec& rule, std::uint32_t index, bool allow_resolve) {
        switch (rule.type) {
            case RuleType::domain:
                domains.add(rule.payload, DomainMatchKind::exact, index);
                return true;
            case RuleType::domain_suffix:
                domains.add(rule.payload, DomainMatchKind::suffix_and_self, index);
                return true;
            case RuleType::domain_keyword:
                keywords.add(rule.payload, index);
                return true;
            case RuleType::ip_cidr:
            case RuleType::ip_cidr6:
                if (rule.prefix() == nullptr)
                    throw std::invalid_argument("IP rule without a prefix");
                add_prefix(*rule.prefix(), index);
                if (allow_resolve && !rule.no_resolve) mark_resolving(index);
                return true;
            case RuleType::match:
                out.first_match_rule_ = std::min(out.first_match_rule_, index);
                return true;
            default:
                return false;
        }
    };

    for (std::size_t i = 0; i < rules.size(); ++i) {
        const RuleSpec& rule = rules[i];
        const auto index = static_cast<std::uint32_t>(i);
        out.rules_.push_back({rule.type, rule.target, rule.payload});
        out.wants_process_ = out.wants_process_ || uses_process(rule);
        if (add_to_matchers(rule, index, true)) continue;
        if (rule.type != RuleType::rule_set) {
            out.sequential_.push_back({index, RuleCondition::from_spec(rule, options.countries)});
            if (out.sequential_.back().condition.wants_address()) mark_resolving(index);
            continue;
        }
        // RULE-SET: flatten the set's entries into the matchers under the rule's index.
        const RuleSetEntries* set = nullptr;
        if (options.rule_sets != nullptr) {
            auto found = options.rule_sets->find(rule.payload);
            if (found != options.rule_sets->end()) set = &found->second;
        }
        if (set == nullptr) throw std::invalid_argument("unknown rule set: " + rule.payload);
        std::vector<RuleCondition> leftovers;
        for (const DomainPattern& pattern : set->domains) {
            if (pattern.kind == DomainPattern::Kind::wildcard)
                leftovers.push_back(RuleCondition::from_pattern(pattern));
            else
                domains.add(pattern.text, matcher_kind(pattern.kind), index);
        }
        for (const Prefix& prefix : set->cidrs) add_prefix(prefix, index);
        if (!set->cidrs.empty() && !rule.no_resolve) mark_resolving(index);
        for (const RuleSpec& entry : set->rules) {
            out.wants_process_ = out.wants_process_ || uses_process(entry);
            if (add_to_matchers(entry, index, !rule.no_resolve)) continue;
            leftovers.push_back(RuleCondition::from_spec(entry, options.countries));
        }
        if (!leftovers.empty()) {
            out.sequential_.push_back({index, RuleCondition::any_of(std::move(leftovers))});
            if (!rule.no_resolve && out.sequential_.back().condition.wants_address())
                mark_resolving(index);
        }
    }
    out.domains_ = domains.build();
    out.keywords_ = keywords.build();
    // Lowest index per distinct prefix, over all rules and over the rules a resolved
    // connection still reaches (index >= first_resolving_rule_).
    std::map<PrefixKey, std::uint32_t> lowest;
    std::map<PrefixKey, std::uint32_t> lowest_after;
    for (const auto& [key, index] : prefixes) {
        auto [it, inserted] = lowest.emplace(key, index);
        if (!inserted) it->second = std::min(it->second, index);
        if (index < out.first_resolving_rule_) continue;
        auto [after, added] = lowest_after.emplace(key, index);
        if (!added) after->second = std::min(after->second, index);
    }
    out.addresses_ = IpPrefixTable(first_match_values(lowest));
    // Usually every IP rule comes at or after the first resolving one: one table serves both.
    if (lowest_after.size() != lowest.size() || lowest_after != lowest) {
        out.addresses_after_resolution_ = IpPrefixTable(first_match_values(lowest_after));
        out.separate_after_table_ = true;
    }
    return out;
}

Decision CompiledRules::decision_for(std::uint32_t index, bool needs_resolution,
                                     std::uint32_t name_rule) const {
    const RuleInfo& rule = rules_[index];
    return {index, rule.target, rule.type, rule.payload, needs_resolution, name_rule};
}

std::uint32_t CompiledRules::name_match(std::string_view domain) const {
    std::uint32_t best = kNone;
    if (domain.empty()) return best;
    if (auto v = domains_.match(domain)) best = std::min(best, *v);
    if (auto v = keywords_.match(domain)) best = std::min(best, *v);
    return best;
}

Decision CompiledRules::evaluate(const ConnectionMetadata& metadata) const {
    if (metadata.resolved && !metadata.destination) {
        // A continuation without the first decision: recompute the name matches.
        Decision first;
        first.name_rule = name_match(metadata.domain);
        return resume(metadata, first);
    }
    EvaluationScratch scratch;
    scratch.address = metadata.rule_address();
    scratch.countries = countries_;

    const std::uint32_t name_rule = name_match(metadata.domain);
    std::uint32_t best = std::min(first_match_rule_, name_rule);
    if (scratch.address != nullptr) {
        const std::uint32_t v = addresses_.lookup_or_sentinel(*scratch.address);
        if (v != IpPrefixTable::kNoMatch) best = std::min(best, v);
    }
    // Known only by name: the first rule wanting an address stops the scan there.
    const bool may_resolve = scratch.address == nullptr && !metadata.domain.empty();
    const std::uint32_t limit = may_resolve ? std::min(best, first_resolving_rule_) : best;
    for (const SequentialRule& rule : sequential_) {
        if (rule.index >= limit) break;
        if (rule.condition.matches(metadata, scratch))
            return decision_for(rule.index, false, name_rule);
    }
    if (may_resolve && first_resolving_rule_ < best)
        return decision_for(first_resolving_rule_, true, name_rule);
    if (best != kNone) return decision_for(best, false, name_rule);
    return {Decision::npos, "DIRECT", RuleType::match, {}, false, name_rule};
}

Decision CompiledRules::resume(const ConnectionMetadata& metadata, const Decision& first) const {
    EvaluationScratch scratch;
    scratch.countries = countries_;
    // No address: the name did not resolve, and rules that want one miss (as Clash's do
    // when the lookup fails) while the scan goes on.
    scratch.address = metadata.resolved ? &*metadata.resolved : nullptr;
    // The first pass stopped at first_resolving_rule_ with every earlier rule decided
    // without an address, as a rule-by-rule scan that resolves on reaching an IP rule
    // would (Clash): those rules are not looked at again, even the no-resolve IP rules,
    // and no name match below that point exists (the first pass would have returned it).
    const std::uint32_t start = first_resolving_rule_;
    std::uint32_t best = std::min(first_match_rule_, first.name_rule);
    if (scratch.address != nullptr) {
        const IpPrefixTable& table =
            separate_after_table_ ? addresses_after_resolution_ : addresses_;
        const std::uint32_t v = table.lookup_or_sentinel(*scratch.address);
        if (v != IpPrefixTable::kNoMatch) best = std::min(best, v);
    }
    for (const SequentialRule& rule : sequential_) {
        if (rule.index >= best) break;
        if (rule.index < start) continue;
        if (rule.condition.matches(metadata, scratch))
            return decision_for(rule.index, false, first.name_rule);
    }
    if (best != kNone) return decision_for(best, false, first.name_rule);
    return {Decision::npos, "DIRECT", RuleType::match, {}, false, first.name_rule};
}

}  // namespace shunt::rules

// RuleCondition: one rule compiled for one-by-one evaluation. The rules that no shared
// matcher can answer (DOMAIN-REGEX, AND/OR/NOT, ports, NETWORK, PROCESS-*, SRC-IP-CIDR,
// GEOIP, the odd entries of classical rule sets) become a tree of these; CompiledRules
// checks them in rule order, only while they could still beat the best match so far.
// Sub-rules of logic rules are conditions too, whatever their type, so a DOMAIN inside
// an AND is compared here rather than in the domain matcher.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/domain_pattern.hpp"
#include "net/ip_address.hpp"
#include "rules/engine/connection_metadata.hpp"
#include "rules/engine/country_lookup.hpp"
#include "rules/match/domain_regex.hpp"
#include "rules/parse/rule_spec.hpp"

namespace shunt::rules {

// Per-evaluate() scratch state: the address IP rules use and the country of that address,
// looked up at most once per evaluation however many GEOIP rules are checked.
struct EvaluationScratch {
    const IpAddress* address = nullptr;
    const CountryLookup* countries = nullptr;
    bool country_known = false;
    std::optional<CountryCode> country;

    const std::optional<CountryCode>& country_of_address() {
        if (!country_known) {
            country_known = true;
            if (address != nullptr && countries != nullptr)
                country = countries->country_of(*address);
        }
        return country;
    }
};

class RuleCondition {
  public:
    // Kinds beyond RuleType: `any_of` is a classical rule set's leftover entries (an OR
    // without the syntax); `domain_pattern` is a wildcard line of a domain rule set.
    enum class Kind : std::uint8_t {
        rule,
        any_of,
        domain_pattern,
    };

    // Throws std::invalid_argument for RULE-SET (sets are flattened by CompiledRules), a
    // GEOIP rule when `countries` is null, or an unusable country code.
    static RuleCondition from_spec(const RuleSpec& spec, const CountryLookup* countries);
    static RuleCondition any_of(std::vector<RuleCondition> children);
    static RuleCondition from_pattern(DomainPattern pattern);

    // `scratch.address` is the address IP rules compare; IP rules without one do not match.
    bool matches(const ConnectionMetadata& metadata, EvaluationScratch& scratch) const;

    // True when matching may depend on the destination address and the rule lets us
    // resolve a name to get one: an IP rule without no-resolve, or a logic rule with one.
    bool wants_address() const { return wants_address_; }

  private:
    Kind kind_ = Kind::rule;
    RuleType type_ = RuleType::match;
    bool wants_address_ = false;
    std::string text_;  // domain, suffix, keyword, process name or path
    Prefix prefix_;
    PortList ports_;
    Network network_ = Network::tcp;
    // No two-letter code packs to zero: it stands for GEOIP,LAN.
    static constexpr std::uint16_t kLanCountry = 0;
    std::uint16_t country_ = 0;  // CountryCode::packed(), or kLanCountry
    std::optional<DomainRegex> regex_;
    DomainPattern pattern_;
    std::vector<RuleCondition> children_;
};

}  // namespace shunt::rules

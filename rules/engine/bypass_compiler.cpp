#include "rules/engine/bypass_compiler.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "rules/geo/mmdb_country.hpp"

namespace shunt::rules {

namespace {

// Where one rule matches: `always` and `sometimes` are disjoint, the rest is never.
struct Regions {
    AddressSet always;
    AddressSet sometimes;

    AddressSet possible() const { return always.united(sometimes); }
    static Regions never() { return {}; }
    static Regions everywhere() { return {AddressSet::everything(), {}}; }
    static Regions depends() { return {{}, AddressSet::everything()}; }
};

class RegionCompiler {
  public:
    RegionCompiler(const RuleSetLibrary* rule_sets, const CountryLookup* countries)
        : rule_sets_(rule_sets), countries_(countries) {}

    Regions of(const RuleSpec& rule) {
        switch (rule.type) {
            case RuleType::domain:
            case RuleType::domain_suffix:
            case RuleType::domain_keyword:
            case RuleType::domain_regex:
                // A connection to a real address carries no domain.
                return Regions::never();
            // The parser unmaps ::ffff:a.b.c.d/96+n into a.b.c.d/n (parse_cidr), so the
            // family here is the one the engine compares with.
            case RuleType::ip_cidr:
            case RuleType::ip_cidr6:
                if (rule.prefix() == nullptr)
                    throw std::invalid_argument("IP rule without a prefix");
                return {AddressSet::of(*rule.prefix()), {}};
            case RuleType::geoip:
                return {country(rule.payload), {}};
            case RuleType::src_ip_cidr:
            case RuleType::dst_port:
            case RuleType::src_port:
            case RuleType::network:
            // A local socket's owner can be anything; forwarded traffic has none, but one
            // set serves the router's and the desktop's hook alike.
            case RuleType::process_name:
            case RuleType::process_path:
                return Regions::depends();
            case RuleType::and_:
                return all_of(rule.children);
            case RuleType::or_:
                return any_of(rule.children);
            case RuleType::not_: {
                if (rule.children.size() != 1)
                    throw std::invalid_argument("NOT needs exactly one sub-rule");
                const Regions child = of(rule.children.front());
                const AddressSet always = child.possible().complement();
                return {always, child.always.complement().without(always)};
            }
            case RuleType::rule_set:
                return rule_set(rule.payload);
            case RuleType::match:
                return Regions::everywhere();
        }
        return Regions::depends();
    }

  private:
    Regions all_of(const std::vector<RuleSpec>& children) {
        AddressSet always = AddressSet::everything();
        AddressSet possible = AddressSet::everything();
        for (const RuleSpec& child : children) {
            const Regions r = of(child);
            always = always.intersected(r.always);
            possible = possible.intersected(r.possible());
        }
        return {always, possible.without(always)};
    }

    Regions any_of(const std::vector<RuleSpec>& children) {
        AddressSet always;
        AddressSet possible;
        for (const RuleSpec& child : children) {
            const Regions r = of(child);
            always = always.united(r.always);
            possible = possible.united(r.possible());
        }
        return {always, possible.without(always)};
    }

    Regions rule_set(const std::string& name) {
        const RuleSetEntries* set = nullptr;
        if (rule_sets_ != nullptr) {
            auto found = rule_sets_->find(name);
            if (found != rule_sets_->end()) set = &found->second;
        }
        if (set == nullptr) throw std::invalid_argument("unknown rule set: " + name);
        // Domain entries never match a real address; the set matches when any entry does.
        Regions r = any_of(set->rules);
        r.always = r.always.united(AddressSet::of(set->cidrs));
        r.sometimes = r.sometimes.without(r.always);
        return r;
    }

    AddressSet country(const std::string& code) {
        if (code == "LAN") return AddressSet::of(lan_prefixes());
        if (countries_ == nullptr)
            throw std::invalid_argument("GEOIP rule but no country database configured");
        auto parsed = CountryCode::parse(code);
        if (!parsed) throw std::invalid_argument("GEOIP: bad country code " + code);
        auto [it, fresh] = countries_by_code_.try_emplace(code);
        if (fresh) it->second = AddressSet::of(countries_->prefixes_of(*parsed));
        return it->second;
    }

    const RuleSetLibrary* rule_sets_;
    const CountryLookup* countries_;
    std::map<std::string, AddressSet, std::less<>> countries_by_code_;
};

std::string percent(double share) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f%%", share * 100);
    return text;
}

}  // namespace

RuleBypass compile_rule_bypass(const std::vector<RuleSpec>& rules, const RuleSetLibrary* rule_sets,
                               const CountryLookup* countries) {
    RegionCompiler regions(rule_sets, countries);
    RuleBypass out;
    AddressSet open = AddressSet::everything();
    for (std::size_t i = 0; i < rules.size() && !open.empty(); ++i) {
        const RuleSpec& rule = rules[i];
        const Regions r = regions.of(rule);
        const bool direct = rule.target == "DIRECT";
        const AddressSet decided = open.intersected(r.always);
        open = open.without(decided);
        AddressSet kept;  // stays on the TUN because of this rule
        bool sometimes = false;
        if (direct) {
            out.direct_always = out.direct_always.united(decided);
        } else {
            kept = decided;
            const AddressSet ruled_out = open.intersected(r.sometimes);
            if (!ruled_out.empty()) {
                sometimes = true;
                open = open.without(ruled_out);
                kept = kept.united(ruled_out);
            }
        }
        if (!kept.empty())
            out.limits.push_back({i, to_clash_string(rule), kept.fraction(IpAddress::Family::v4),
                                  kept.fraction(IpAddress::Family::v6), sometimes});
    }
    // No rule matched: the engine's answer is DIRECT.
    out.direct_always = out.direct_always.united(open);
    std::stable_sort(out.limits.begin(), out.limits.end(),
                     [](const BypassLimit& a, const BypassLimit& b) {
                         if (a.v4_share != b.v4_share) return a.v4_share > b.v4_share;
                         return a.v6_share > b.v6_share;
                     });
    return out;
}

AddressSet bypass_for_mode(Mode mode, const RuleBypass& rules, const AddressSet& excluded) {
    // IPv4-mapped IPv6 destinations never bypass: the engine's prefix table reads them as
    // IPv4, its other rules as IPv6 (the connect6 hook checks them as IPv4 anyway).
    const AddressSet never =
        excluded.united(AddressSet::of(Prefix(*IpAddress::parse("::ffff:0.0.0.0"), 96)));
    switch (mode) {
        case Mode::rule:
            return rules.direct_always.without(never);
        case Mode::global:
            return {};
        case Mode::direct:
            return AddressSet::everything().without(never);
    }
    return {};
}

std::string describe_bypass(const AddressSet& bypass, const RuleBypass& rules) {
    std::string text = "IPv4 " + percent(bypass.fraction(IpAddress::Family::v4)) + ", IPv6 " +
                       percent(bypass.fraction(IpAddress::Family::v6)) + " of the address space (" +
                       std::to_string(bypass.to_prefixes().size()) + " prefixes)";
    const std::size_t shown = std::min<std::size_t>(rules.limits.size(), 3);
    for (std::size_t i = 0; i < shown; ++i) {
        const BypassLimit& limit = rules.limits[i];
        text += "\n  limited by rule " + std::to_string(limit.rule_index + 1) + " " + limit.rule +
                ": IPv4 " + percent(limit.v4_share) + ", IPv6 " + percent(limit.v6_share) +
                (limit.sometimes ? " (matches only some packets to these, not DIRECT)"
                                 : " (not DIRECT)");
    }
    if (rules.limits.size() > shown)
        text += "\n  and " + std::to_string(rules.limits.size() - shown) + " more rules";
    return text;
}

}  // namespace shunt::rules

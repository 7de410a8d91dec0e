#include "rules/engine/rule_condition.hpp"

#include <algorithm>
#include <stdexcept>

namespace shunt::rules {
namespace {

bool has_suffix_label(std::string_view name, std::string_view suffix) {
    if (name.size() == suffix.size()) return name == suffix;
    return name.size() > suffix.size() && name.ends_with(suffix) &&
           name[name.size() - suffix.size() - 1] == '.';
}

bool in_ports(const PortList& ports, std::uint16_t port) {
    return std::any_of(ports.begin(), ports.end(),
                       [port](const PortRange& r) { return port >= r.first && port <= r.last; });
}

}  // namespace

RuleCondition RuleCondition::from_spec(const RuleSpec& spec, const CountryLookup* countries) {
    RuleCondition c;
    c.type_ = spec.type;
    switch (spec.type) {
        case RuleType::domain:
        case RuleType::domain_suffix:
        case RuleType::domain_keyword:
        case RuleType::process_name:
        case RuleType::process_path:
            c.text_ = spec.payload;
            break;
        case RuleType::domain_regex: {
            // The parser validated the pattern with this same engine.
            std::string error;
            c.regex_ = DomainRegex::compile(spec.payload, &error);
            if (!c.regex_) throw std::invalid_argument("invalid regex: " + error);
            break;
        }
        case RuleType::ip_cidr:
        case RuleType::ip_cidr6:
        case RuleType::src_ip_cidr:
            if (spec.prefix() == nullptr) throw std::invalid_argument("IP rule without a prefix");
            c.prefix_ = *spec.prefix();
            c.wants_address_ = spec.type != RuleType::src_ip_cidr && !spec.no_resolve;
            break;
        case RuleType::geoip: {
            c.wants_address_ = !spec.no_resolve;
            // GEOIP,LAN is a fixed set of ranges, not a country: no database needed.
            if (spec.payload == "LAN") {
                c.country_ = kLanCountry;
                break;
            }
            if (countries == nullptr)
                throw std::invalid_argument("GEOIP rule but no country database configured");
            auto code = CountryCode::parse(spec.payload);
            if (!code) throw std::invalid_argument("GEOIP: bad country code " + spec.payload);
            c.country_ = code->packed();
            break;
        }
        case RuleType::dst_port:
        case RuleType::src_port:
            if (spec.ports() == nullptr) throw std::invalid_argument("port rule without ports");
            c.ports_ = *spec.ports();
            break;
        case RuleType::network:
            if (spec.network() == nullptr) throw std::invalid_argument("NETWORK without a value");
            c.network_ = *spec.network();
            break;
        case RuleType::and_:
        case RuleType::or_:
        case RuleType::not_:
            for (const RuleSpec& child : spec.children) {
                c.children_.push_back(from_spec(child, countries));
                c.wants_address_ = c.wants_address_ || c.children_.back().wants_address_;
            }
            if (spec.type == RuleType::not_ && c.children_.size() != 1)
                throw std::invalid_argument("NOT needs exactly one sub-rule");
            break;
        case RuleType::match:
            break;
        case RuleType::rule_set:
            throw std::invalid_argument("RULE-SET cannot be a condition (nested rule sets?)");
    }
    return c;
}

RuleCondition RuleCondition::any_of(std::vector<RuleCondition> children) {
    RuleCondition c;
    c.kind_ = Kind::any_of;
    c.children_ = std::move(children);
    for (const auto& child : c.children_)
        c.wants_address_ = c.wants_address_ || child.wants_address_;
    return c;
}

RuleCondition RuleCondition::from_pattern(DomainPattern pattern) {
    RuleCondition c;
    c.kind_ = Kind::domain_pattern;
    c.pattern_ = std::move(pattern);
    return c;
}

bool RuleCondition::matches(const ConnectionMetadata& m, EvaluationScratch& scratch) const {
    if (kind_ == Kind::any_of) {
        return std::any_of(children_.begin(), children_.end(),
                           [&](const RuleCondition& c) { return c.matches(m, scratch); });
    }
    if (kind_ == Kind::domain_pattern) return !m.domain.empty() && pattern_.matches(m.domain);

    switch (type_) {
        case RuleType::domain:
            return !m.domain.empty() && m.domain == text_;
        case RuleType::domain_suffix:
            return !m.domain.empty() && has_suffix_label(m.domain, text_);
        case RuleType::domain_keyword:
            return !m.domain.empty() && m.domain.find(text_) != std::string_view::npos;
        case RuleType::domain_regex:
            // The literal prefilter turns most domains away before the regex engine runs.
            return !m.domain.empty() && regex_->matches(m.domain);
        case RuleType::ip_cidr:
        case RuleType::ip_cidr6:
            return scratch.address != nullptr && prefix_.contains(*scratch.address);
        case RuleType::src_ip_cidr:
            return m.source && prefix_.contains(*m.source);
        case RuleType::geoip: {
            if (country_ == kLanCountry)
                return scratch.address != nullptr && is_lan(*scratch.address);
            const auto& country = scratch.country_of_address();
            return country && country->packed() == country_;
        }
        case RuleType::dst_port:
            return in_ports(ports_, m.destination_port);
        case RuleType::src_port:
            return in_ports(ports_, m.source_port);
        case RuleType::network:
            return m.network == network_;
        case RuleType::process_name:
            return !m.process_name.empty() && m.process_name == text_;
        case RuleType::process_path:
            return !m.process_path.empty() && m.process_path == text_;
        case RuleType::and_:
            return std::all_of(children_.begin(), children_.end(),
                               [&](const RuleCondition& c) { return c.matches(m, scratch); });
        case RuleType::or_:
            return std::any_of(children_.begin(), children_.end(),
                               [&](const RuleCondition& c) { return c.matches(m, scratch); });
        case RuleType::not_:
            return !children_.front().matches(m, scratch);
        case RuleType::match:
            return true;
        case RuleType::rule_set:
            return false;
    }
    return false;
}

}  // namespace shunt::rules

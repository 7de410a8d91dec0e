#include "api/rule_names.hpp"

namespace shunt::api {

std::string_view mihomo_rule_name(rules::RuleType type) {
    using T = rules::RuleType;
    switch (type) {
        case T::domain:
            return "Domain";
        case T::domain_suffix:
            return "DomainSuffix";
        case T::domain_keyword:
            return "DomainKeyword";
        case T::domain_regex:
            return "DomainRegex";
        case T::ip_cidr:
        case T::ip_cidr6:
            return "IPCIDR";  // mihomo has one type for both families
        case T::src_ip_cidr:
            return "SrcIPCIDR";
        case T::geoip:
            return "GeoIP";
        case T::dst_port:
            return "DstPort";
        case T::src_port:
            return "SrcPort";
        case T::network:
            return "Network";
        case T::process_name:
            return "ProcessName";
        case T::process_path:
            return "ProcessPath";
        case T::and_:
            return "AND";
        case T::or_:
            return "OR";
        case T::not_:
            return "NOT";
        case T::rule_set:
            return "RuleSet";
        case T::match:
            return "Match";
    }
    return "Unknown";
}

std::string_view mihomo_rule_name(std::string_view shunt_name) {
    const auto type = rules::rule_type_from_name(shunt_name);
    return type ? mihomo_rule_name(*type) : shunt_name;
}

}  // namespace shunt::api

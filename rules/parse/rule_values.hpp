// Validation of the values rules carry, shared by the rule parser and rule-set files.
// Errors carry the offset of the offending character inside the value, so the caller
// can turn it into a column of its own line.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "net/ip_address.hpp"
#include "rules/parse/rule_spec.hpp"

namespace shunt::rules {

struct ValueError {
    std::size_t offset = 0;  // inside the value text
    std::string message;
};

// Position of the first byte outside ASCII, or npos.
std::size_t first_non_ascii(std::string_view text);

// A domain as DOMAIN and DOMAIN-SUFFIX rules and domain rule sets hold it: lower case,
// no trailing dot, punycode only (non-ASCII is refused with a message saying so).
std::optional<std::string> normalize_rule_domain(std::string_view text, ValueError& error);

// A CIDR as IP rules and ipcidr rule sets accept it: v4 or v6 whatever the rule type
// says, host bits cleared, a bare address meaning a host prefix, and an IPv4-mapped
// IPv6 prefix (::ffff:a.b.c.d/n, n >= 96) turned into the IPv4 prefix it denotes.
std::optional<Prefix> parse_cidr(std::string_view text);

// "80", "1000-2000", "80/443/8000-9000" (spaces around items allowed), 0-65535,
// ranges lower port first.
std::optional<PortList> parse_port_list(std::string_view text, ValueError& error);

}  // namespace shunt::rules

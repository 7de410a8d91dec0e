// The parsed, validated form of one Clash rule, before any matcher is built.
//
// The parser turns `TYPE,VALUE,TARGET[,no-resolve]` text into a RuleSpec; matchers and
// the engine consume RuleSpecs and never look at rule text again. Everything a matcher
// needs is already checked and normalised here, so compiling a rule cannot fail.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "net/ip_address.hpp"

namespace shunt::rules {

enum class RuleType {
    domain,
    domain_suffix,
    domain_keyword,
    domain_regex,
    ip_cidr,
    ip_cidr6,
    src_ip_cidr,
    geoip,
    dst_port,
    src_port,
    network,
    process_name,
    process_path,
    and_,
    or_,
    not_,
    rule_set,
    match,
};

enum class Network : std::uint8_t { tcp, udp };

// An inclusive port range; a single port is a range with first == last.
struct PortRange {
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    friend bool operator==(const PortRange&, const PortRange&) = default;
};
using PortList = std::vector<PortRange>;

// The typed payload, for the rule types whose payload is more than text:
//   Prefix   IP-CIDR, IP-CIDR6, SRC-IP-CIDR
//   PortList DST-PORT, SRC-PORT
//   Network  NETWORK
// Every other type keeps its (normalised) payload in RuleSpec::payload only.
using RuleValue = std::variant<std::monostate, Prefix, PortList, Network>;

struct RuleSpec {
    RuleType type = RuleType::match;
    // Normalised where it makes sense: domains lower case without trailing dot,
    // keywords lower case, country codes upper case, network "tcp"/"udp", CIDRs in
    // canonical form. Regexes, process names and rule-set names stay as written.
    // Empty for MATCH; for AND/OR/NOT the logic payload as written.
    std::string payload;
    // Empty for sub-rules of AND/OR/NOT and for entries of classical rule-set files.
    std::string target;
    // Only ever true for IP-CIDR, IP-CIDR6, GEOIP and RULE-SET.
    bool no_resolve = false;
    std::vector<RuleSpec> children;  // AND/OR: one or more; NOT: exactly one
    RuleValue value;
    // Where the rule was written: 1-based; line 0 when parsed without a source (a
    // single parse_rule call); column points at the rule type.
    int line = 0;
    int column = 0;

    const Prefix* prefix() const { return std::get_if<Prefix>(&value); }
    const PortList* ports() const { return std::get_if<PortList>(&value); }
    const Network* network() const { return std::get_if<Network>(&value); }
};

// The canonical Clash spelling ("DOMAIN-SUFFIX", "IP-CIDR6", "MATCH", ...).
std::string_view rule_type_name(RuleType type);
// Case-insensitive; also accepts the historical aliases SOURCE-IP-CIDR and FINAL.
std::optional<RuleType> rule_type_from_name(std::string_view name);

// Rules whose match may need the destination IP of a connection known only by name:
// these are the ones `no-resolve` applies to.
bool is_resolving_ip_rule(RuleType type);
bool is_logic_rule(RuleType type);

// The rule in Clash syntax, normalised ("DOMAIN-SUFFIX,google.com,proxy"); for logs,
// the REST API and round-trip tests.
std::string to_clash_string(const RuleSpec& rule);

}  // namespace shunt::rules

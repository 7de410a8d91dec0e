// The eBPF bypass's only source of truth: the destinations the rule engine would send
// DIRECT for every packet, whatever its port, protocol, source, process or domain
// (docs/ebpf.md). The kernel program marks packets to these addresses and nothing else,
// so it never makes a decision the engine would not have made.
//
// The rules are walked in order over the address space. For each rule, every address
// falls in one of three regions:
//   always     the rule matches every packet to it (IP-CIDR, ipcidr sets, GEOIP, MATCH)
//   never      no packet to it (domain rules: a connection to a real address has no
//              domain; redir-host's remembered addresses are kept out by the kernel map)
//   sometimes  it depends on the packet (ports, NETWORK, SRC-IP-CIDR, PROCESS-*)
// and logic rules combine their sub-rules' regions (AND, OR, NOT). Addresses still
// undecided ("open") that a rule always matches are decided by it: they bypass if and only
// if the target is the literal DIRECT (a group can switch at runtime; REJECT must answer
// on the TUN). Open addresses a rule matches sometimes with a non-DIRECT target are ruled
// out; with DIRECT they stay open (matched or not, the packet may still go DIRECT).
// Addresses open after the last rule take the engine's default, DIRECT.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "rules/engine/compiled_rules.hpp"
#include "rules/match/address_set.hpp"
#include "rules/parse/mode.hpp"

namespace shunt::rules {

// A rule that kept part of the address space on the TUN, with how much.
struct BypassLimit {
    std::size_t rule_index = 0;
    std::string rule;  // Clash syntax, for `shunt check -v` and the log
    double v4_share = 0;
    double v6_share = 0;
    bool sometimes = false;  // ruled out by a rule that matches only some packets
};

struct RuleBypass {
    // In rule mode, before the fake-IP ranges and DNS-hijacked addresses are taken out.
    AddressSet direct_always;
    // Every rule that kept space on the TUN, the most IPv4 space first.
    std::vector<BypassLimit> limits;
};

// Throws std::invalid_argument for an unknown rule set or a GEOIP rule without
// `countries` (build_rules reports both before this runs).
RuleBypass compile_rule_bypass(const std::vector<RuleSpec>& rules, const RuleSetLibrary* rule_sets,
                               const CountryLookup* countries);

// What may bypass in `mode`: rule mode the compiled set, global mode nothing, direct mode
// everything; `excluded` (fake-IP ranges, DNS-hijacked addresses) and IPv4-mapped IPv6
// addresses never bypass.
AddressSet bypass_for_mode(Mode mode, const RuleBypass& rules, const AddressSet& excluded);

// "IPv4 61.2% (2,628,791,521 addresses), IPv6 100.0%" and the three largest limits, for
// `shunt check -v` and the start-up log.
std::string describe_bypass(const AddressSet& bypass, const RuleBypass& rules);

}  // namespace shunt::rules

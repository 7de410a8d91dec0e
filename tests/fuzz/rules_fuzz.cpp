// libFuzzer target for the rule language: what a config's `rules` lines, a rule-set file
// (all three behaviors, plain or YAML `payload:`) and a DOMAIN-REGEX pattern may hold.
// The first byte picks the mode, the rest is the text. Invariants (__builtin_trap):
//   - a rule line that parses prints (to_clash_string) as a line that parses to the same
//     printed form: the canonical form is a fixed point;
//   - a rule set's errors all name a line, and no more are kept than reported;
//   - a parsed rule set compiles into a rule list and decides connections (by name, by
//     address, by both) without failing;
//   - a DOMAIN-REGEX's literal prefilter never rejects a name its regex matches.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/domain_name.hpp"
#include "net/ip_address.hpp"
#include "rules/engine/compiled_rules.hpp"
#include "rules/match/domain_regex.hpp"
#include "rules/parse/rule_parser.hpp"
#include "rules/parse/rule_set_file.hpp"

namespace {

using namespace shunt;
using namespace shunt::rules;

void check(bool condition) {
    if (!condition) __builtin_trap();
}

void rule_line(std::string_view text) {
    for (const auto parse : {&parse_rule, &parse_rule_without_target}) {
        const auto first = parse(text);
        if (!first.ok()) {
            check(first.error.column >= 0);
            continue;
        }
        const std::string printed = to_clash_string(*first.rule);
        const auto again = parse(printed);
        check(again.ok());
        check(to_clash_string(*again.rule) == printed);
    }
}

// Names and addresses the decisions are asked about: fixed ones, and one taken from the
// input so that sets written by the fuzzer can match.
std::vector<std::string> names_for(std::string_view text) {
    std::vector<std::string> names = {"example.com", "a.b.example.org", "x", "localhost"};
    const auto end = text.find_first_of("\n\r ,");
    if (auto name = normalize_domain(text.substr(0, end == std::string_view::npos ? 64 : end)))
        names.push_back(*name);
    return names;
}

void rule_set(std::string_view text, RuleSetBehavior behavior) {
    const auto entries = parse_rule_set_text(text, behavior, "fuzz.txt");
    check(entries.errors.size() <= entries.error_count);
    for (const auto& error : entries.errors) check(error.line >= 1 && !error.message.empty());
    if (!entries.ok()) return;
    RuleSetLibrary library;
    library.emplace("x", entries);
    std::vector<RuleSpec> rules;
    for (const char* line :
         {"RULE-SET,x,REJECT", "DOMAIN-SUFFIX,example.com,DIRECT", "MATCH,proxy"})
        rules.push_back(*parse_rule(line).rule);
    CompiledRules compiled;
    try {
        compiled = CompiledRules::compile(
            rules, {.countries = nullptr, .rule_sets = &library, .keep_alive = nullptr});
    } catch (const std::invalid_argument&) {
        return;  // e.g. a classical set with GEOIP and no country database: reported so
    }
    const IpAddress addresses[] = {*IpAddress::parse("1.2.3.4"), *IpAddress::parse("2001:db8::1"),
                                   *IpAddress::parse("10.0.0.1")};
    for (const auto& name : names_for(text)) {
        for (const auto& address : addresses) {
            ConnectionMetadata by_name;
            by_name.domain = name;
            by_name.destination_port = 443;
            auto decision = compiled.evaluate(by_name);
            if (decision.needs_resolution) {
                by_name.resolved = address;
                decision = compiled.resume(by_name, decision);
                check(!decision.needs_resolution);
            }
            ConnectionMetadata by_address;
            by_address.destination = address;
            by_address.destination_port = 53;
            by_address.network = Network::udp;
            check(!compiled.evaluate(by_address).needs_resolution);
        }
    }
}

void regex(std::string_view pattern) {
    auto compiled = DomainRegex::compile(pattern);
    if (!compiled) return;
    for (const auto& name : names_for(pattern)) {
        const bool full = compiled->matches_without_prefilter(name);
        check(!full || compiled->passes_prefilter(name));
        check(compiled->matches(name) == full);
    }
    // Names made of the pattern's own literal runs, which prefilters are built from.
    std::string letters;
    for (char c : pattern)
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-') letters += c;
    for (std::size_t cut = 0; cut <= letters.size() && cut < 8; ++cut) {
        const std::string name = letters.substr(cut);
        const bool full = compiled->matches_without_prefilter(name);
        check(!full || compiled->passes_prefilter(name));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 5) {
        case 0:
            rule_line(text);
            break;
        case 1:
            rule_set(text, RuleSetBehavior::domain);
            break;
        case 2:
            rule_set(text, RuleSetBehavior::ipcidr);
            break;
        case 3:
            rule_set(text, RuleSetBehavior::classical);
            break;
        case 4:
            regex(text);
            break;
    }
    return 0;
}

#include "rules/engine/bypass_compiler.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "rules/geo/mmdb_country.hpp"
#include "rules/parse/rule_parser.hpp"
#include "rules/parse/rule_set_file.hpp"

namespace shunt::rules {
namespace {

// GEOIP answers from a fixed prefix list, as the .mmdb walk would give them.
class PrefixCountries final : public CountryLookup {
  public:
    std::map<std::string, std::vector<Prefix>> by_code;
    std::optional<CountryCode> country_of(const IpAddress& address) const override {
        for (const auto& [code, prefixes] : by_code)
            for (const Prefix& p : prefixes)
                if (p.contains(address)) return CountryCode::parse(code);
        return std::nullopt;
    }
    std::vector<Prefix> prefixes_of(CountryCode country) const override {
        auto it = by_code.find(std::string(country.view()));
        return it == by_code.end() ? std::vector<Prefix>{} : it->second;
    }
};

Prefix prefix(const std::string& text) {
    auto parsed = Prefix::parse(text);
    if (!parsed) throw std::runtime_error("bad prefix " + text);
    return *parsed;
}

std::vector<RuleSpec> parse_all(const std::vector<std::string>& lines) {
    std::vector<RuleSpec> rules;
    for (const auto& line : lines) {
        auto parsed = parse_rule(line);
        if (!parsed.ok())
            throw std::runtime_error("bad rule " + line + ": " + parsed.error.message);
        rules.push_back(*parsed.rule);
    }
    return rules;
}

struct Fixture {
    PrefixCountries countries;
    RuleSetLibrary sets;
    Fixture() {
        countries.by_code["CN"] = {prefix("1.0.1.0/24"), prefix("240e::/20")};
        sets.emplace("cidrs", parse_rule_set_text("10.0.0.0/8\n2001:db8::/32\n",
                                                  RuleSetBehavior::ipcidr, "cidrs.txt"));
        sets.emplace("names",
                     parse_rule_set_text("+.example.com\n", RuleSetBehavior::domain, "names.txt"));
        sets.emplace("mixed", parse_rule_set_text("IP-CIDR,172.16.0.0/12\nDST-PORT,8080\n",
                                                  RuleSetBehavior::classical, "mixed.txt"));
    }
    RuleBypass compile(const std::vector<std::string>& lines) {
        return compile_rule_bypass(parse_all(lines), &sets, &countries);
    }
};

std::vector<std::string> texts(const AddressSet& set) {
    std::vector<std::string> out;
    for (const Prefix& p : set.to_prefixes()) out.push_back(p.to_string());
    return out;
}

using Texts = std::vector<std::string>;

struct Case {
    const char* name;
    std::vector<std::string> rules;
    Texts bypass;
};

TEST(BypassCompiler, Table) {
    const std::vector<Case> cases = {
        {"no rules: everything is DIRECT", {}, {"0.0.0.0/0", "::/0"}},
        {"IP-CIDR DIRECT then MATCH proxy",
         {"IP-CIDR,10.0.0.0/8,DIRECT", "MATCH,proxy"},
         {"10.0.0.0/8"}},
        {"IP-CIDR6 and no-resolve alike",
         {"IP-CIDR6,2001:db8::/32,DIRECT,no-resolve", "IP-CIDR,10.0.0.0/8,DIRECT,no-resolve",
          "MATCH,proxy"},
         {"10.0.0.0/8", "2001:db8::/32"}},
        {"a port rule to a proxy before the CIDR rules the CIDR out",
         {"DST-PORT,22,proxy", "IP-CIDR,10.0.0.0/8,DIRECT", "MATCH,proxy"},
         {}},
        {"a port rule after the CIDR does not",
         {"IP-CIDR,10.0.0.0/8,DIRECT", "DST-PORT,22,proxy", "MATCH,DIRECT"},
         {"10.0.0.0/8"}},
        {"a port rule to DIRECT leaves the CIDR open",
         {"DST-PORT,22,DIRECT", "IP-CIDR,10.0.0.0/8,DIRECT", "MATCH,proxy"},
         {"10.0.0.0/8"}},
        {"REJECT stays on the TUN",
         {"IP-CIDR,10.1.0.0/16,REJECT", "IP-CIDR,10.0.0.0/8,DIRECT", "MATCH,proxy"},
         {"10.0.0.0/16", "10.2.0.0/15", "10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/12",
          "10.32.0.0/11", "10.64.0.0/10", "10.128.0.0/9"}},
        {"a group may switch at runtime",
         {"IP-CIDR,10.0.0.0/8,auto", "MATCH,DIRECT"},
         {"0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3",
          "64.0.0.0/2", "128.0.0.0/1", "::/0"}},
        {"domain rules never match a real address",
         {"DOMAIN-SUFFIX,example.com,proxy", "DOMAIN-KEYWORD,video,proxy", "DOMAIN,a.b,REJECT",
          "DOMAIN-REGEX,^x,proxy", "RULE-SET,names,proxy", "MATCH,DIRECT"},
         {"0.0.0.0/0", "::/0"}},
        {"NOT of a domain rule always matches",
         {"NOT,((DOMAIN,example.com)),proxy", "MATCH,DIRECT"},
         {}},
        {"NOT of a CIDR", {"NOT,((IP-CIDR,0.0.0.0/1)),proxy", "MATCH,DIRECT"}, {"0.0.0.0/1"}},
        {"AND narrows to where every part may match",
         {"AND,((IP-CIDR,10.0.0.0/8),(NETWORK,udp)),proxy", "MATCH,DIRECT"},
         {"0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3",
          "64.0.0.0/2", "128.0.0.0/1", "::/0"}},
        {"AND of a domain never matches",
         {"AND,((IP-CIDR,0.0.0.0/0),(DOMAIN,x.y)),proxy", "MATCH,DIRECT"},
         {"0.0.0.0/0", "::/0"}},
        {"OR with a port matches sometimes everywhere",
         {"OR,((IP-CIDR,10.0.0.0/8),(DST-PORT,443)),proxy", "MATCH,DIRECT"},
         {}},
        {"OR of CIDRs decides both",
         {"OR,((IP-CIDR,10.0.0.0/8),(IP-CIDR6,2001:db8::/32)),DIRECT", "MATCH,proxy"},
         {"10.0.0.0/8", "2001:db8::/32"}},
        {"SRC-IP-CIDR, SRC-PORT, NETWORK and PROCESS rule everything out",
         {"IP-CIDR,10.0.0.0/8,DIRECT", "SRC-IP-CIDR,192.168.1.0/24,proxy", "MATCH,DIRECT"},
         {"10.0.0.0/8"}},
        {"PROCESS-NAME to a proxy", {"PROCESS-NAME,curl,proxy", "MATCH,DIRECT"}, {}},
        {"NETWORK to DIRECT stays open",
         {"NETWORK,udp,DIRECT", "GEOIP,LAN,DIRECT", "MATCH,proxy"},
         {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
          "172.16.0.0/12", "192.168.0.0/16", "::/127", "::ffff:0.0.0.0/104", "::ffff:10.0.0.0/104",
          "::ffff:100.64.0.0/106", "::ffff:127.0.0.0/104", "::ffff:169.254.0.0/112",
          "::ffff:172.16.0.0/108", "::ffff:192.168.0.0/112", "fc00::/7", "fe80::/10"}},
        {"GEOIP from the database",
         {"GEOIP,CN,DIRECT", "MATCH,proxy"},
         {"1.0.1.0/24", "240e::/20"}},
        {"ipcidr rule set",
         {"RULE-SET,cidrs,DIRECT", "MATCH,proxy"},
         {"10.0.0.0/8", "2001:db8::/32"}},
        {"classical rule set with a port entry",
         {"RULE-SET,mixed,proxy", "IP-CIDR,0.0.0.0/0,DIRECT", "MATCH,proxy"},
         {}},
        {"classical rule set to DIRECT",
         {"RULE-SET,mixed,DIRECT", "IP-CIDR,172.0.0.0/8,proxy", "MATCH,DIRECT"},
         {"0.0.0.0/1", "128.0.0.0/3", "160.0.0.0/5", "168.0.0.0/6", "172.16.0.0/12", "173.0.0.0/8",
          "174.0.0.0/7", "176.0.0.0/4", "192.0.0.0/2", "::/0"}},
    };
    for (const Case& c : cases) {
        Fixture f;
        const RuleBypass bypass = f.compile(c.rules);
        EXPECT_EQ(texts(bypass.direct_always), c.bypass) << c.name;
    }
}

// An IPv4-mapped prefix is read as the IPv4 prefix it maps (by the parser), at the top
// level and inside logic rules alike, as the engine reads it.
TEST(BypassCompiler, MappedPrefixesAreTheirIpv4Prefix) {
    Fixture f;
    auto in = [](const RuleBypass& b, const char* a) {
        return b.direct_always.contains(*IpAddress::parse(a));
    };
    const RuleBypass table = f.compile({"IP-CIDR6,::ffff:10.0.0.0/104,proxy", "MATCH,DIRECT"});
    EXPECT_FALSE(in(table, "10.1.2.3"));
    EXPECT_TRUE(in(table, "11.0.0.1"));
    const RuleBypass logic =
        f.compile({"AND,((IP-CIDR6,::ffff:10.0.0.0/104),(NETWORK,tcp)),proxy", "MATCH,DIRECT"});
    EXPECT_FALSE(in(logic, "10.1.2.3"));
    EXPECT_TRUE(in(logic, "11.0.0.1"));
}

TEST(BypassCompiler, ModesAndExclusions) {
    Fixture f;
    const RuleBypass rules = f.compile({"IP-CIDR,198.0.0.0/8,DIRECT", "MATCH,proxy"});
    const AddressSet fake = AddressSet::of({prefix("198.18.0.0/15"), prefix("fc00::/18")});
    EXPECT_EQ(texts(bypass_for_mode(Mode::rule, rules, fake)),
              (Texts{"198.0.0.0/12", "198.16.0.0/15", "198.20.0.0/14", "198.24.0.0/13",
                     "198.32.0.0/11", "198.64.0.0/10", "198.128.0.0/9"}));
    EXPECT_TRUE(bypass_for_mode(Mode::global, rules, fake).empty());
    const AddressSet direct = bypass_for_mode(Mode::direct, rules, fake);
    EXPECT_FALSE(direct.contains(*IpAddress::parse("198.19.1.1")));
    EXPECT_FALSE(direct.contains(*IpAddress::parse("fc00::1")));
    EXPECT_TRUE(direct.contains(*IpAddress::parse("8.8.8.8")));
    EXPECT_TRUE(direct.contains(*IpAddress::parse("fc00:4000::1")));
    // IPv4-mapped IPv6 addresses never: the engine reads them as IPv4 in some rules only.
    EXPECT_FALSE(direct.contains(*IpAddress::parse("::ffff:8.8.8.8")));
    EXPECT_FALSE(bypass_for_mode(Mode::rule, f.compile({}), {})
                     .contains(*IpAddress::parse("::ffff:8.8.8.8")));
}

TEST(BypassCompiler, SaysWhichRulesLimitIt) {
    Fixture f;
    const RuleBypass rules = f.compile({"IP-CIDR,10.0.0.0/8,DIRECT", "DST-PORT,22,proxy",
                                        "IP-CIDR,11.0.0.0/8,proxy", "MATCH,DIRECT"});
    ASSERT_EQ(rules.limits.size(), 1u);  // the port rule leaves nothing open after it
    EXPECT_EQ(rules.limits[0].rule_index, 1u);
    EXPECT_TRUE(rules.limits[0].sometimes);
    const std::string text = describe_bypass(rules.direct_always, rules);
    EXPECT_NE(text.find("IPv4 0.4%"), std::string::npos) << text;
    EXPECT_NE(text.find("rule 2 DST-PORT,22,proxy"), std::string::npos) << text;
    EXPECT_NE(text.find("only some packets"), std::string::npos) << text;
}

TEST(BypassCompiler, ErrorsThatBuildRulesReportsFirst) {
    Fixture f;
    EXPECT_THROW(f.compile({"RULE-SET,missing,DIRECT"}), std::invalid_argument);
    EXPECT_THROW(compile_rule_bypass(parse_all({"GEOIP,CN,DIRECT"}), nullptr, nullptr),
                 std::invalid_argument);
    EXPECT_NO_THROW(compile_rule_bypass(parse_all({"GEOIP,LAN,DIRECT"}), nullptr, nullptr));
}

// The property the kernel program relies on: for random rule lists, every packet to an
// address in the emitted set, whatever its port, protocol, source or process, is sent
// DIRECT by the engine itself (CompiledRules, the code the TUN path runs).
TEST(BypassCompiler, EveryPacketToTheSetIsDirect) {
    std::mt19937 random(20261205);
    auto pick = [&](auto const& list) { return list[random() % list.size()]; };
    const std::vector<std::string> cidrs = {"10.0.0.0/8", "10.1.0.0/16",         "10.1.2.0/24",
                                            "11.0.0.0/8", "0.0.0.0/1",           "10.128.0.0/9",
                                            "fd00::/8",   "2001:db8::/32",       "2001:db8:1::/48",
                                            "1.0.1.0/24", "::ffff:10.0.0.0/104", "::/0"};
    const std::vector<std::string> atoms = {"IP-CIDR,{c}",
                                            "DST-PORT,22",
                                            "DST-PORT,443-500",
                                            "SRC-PORT,1000-2000",
                                            "NETWORK,udp",
                                            "NETWORK,tcp",
                                            "SRC-IP-CIDR,192.168.0.0/16",
                                            "DOMAIN,a.com",
                                            "DOMAIN-SUFFIX,b",
                                            "PROCESS-NAME,curl",
                                            "GEOIP,LAN",
                                            "GEOIP,CN"};
    const std::vector<std::string> targets = {"DIRECT", "DIRECT", "proxy", "REJECT", "auto"};
    auto atom = [&] {
        std::string a = pick(atoms);
        if (auto at = a.find("{c}"); at != std::string::npos) a.replace(at, 3, pick(cidrs));
        if (a.starts_with("IP-CIDR,") && a.find(':') != std::string::npos) a.insert(7, "6");
        return a;
    };
    auto rule = [&] {
        const int kind = static_cast<int>(random() % 10);
        const std::string target = pick(targets);
        if (kind == 0) return "AND,((" + atom() + "),(" + atom() + "))," + target;
        if (kind == 1) return "OR,((" + atom() + "),(" + atom() + "))," + target;
        if (kind == 2) return "NOT,((" + atom() + "))," + target;
        if (kind == 3)
            return "RULE-SET," + std::string(random() % 2 ? "cidrs" : "mixed") + "," + target;
        return atom() + "," + target;
    };
    const std::vector<std::string> sources = {"192.168.1.5", "10.9.9.9", "fd00::5"};
    const std::vector<std::string_view> processes = {"", "curl", "ssh"};
    std::size_t checked = 0;
    std::size_t nonempty = 0;
    for (int round = 0; round < 300; ++round) {
        Fixture f;
        std::vector<std::string> lines;
        const int n = 1 + static_cast<int>(random() % 6);
        for (int i = 0; i < n; ++i) lines.push_back(rule());
        if (random() % 2) lines.push_back("MATCH," + pick(targets));
        const auto specs = parse_all(lines);
        CompileOptions options;
        options.countries = &f.countries;
        options.rule_sets = &f.sets;
        const CompiledRules engine = CompiledRules::compile(specs, options);
        const RuleBypass bypass = compile_rule_bypass(specs, &f.sets, &f.countries);
        const auto prefixes = bypass_for_mode(Mode::rule, bypass, {}).to_prefixes();
        if (!prefixes.empty()) ++nonempty;
        std::string listing;
        for (const auto& l : lines) listing += "\n  " + l;
        for (const Prefix& p : prefixes) {
            // Random samples rarely land in ::ffff:0:0/96: probe it where a prefix covers it.
            static const IpAddress kMapped[] = {*IpAddress::parse("::ffff:10.1.2.3"),
                                                *IpAddress::parse("::ffff:1.0.1.5"),
                                                *IpAddress::parse("::ffff:192.168.1.1")};
            for (int sample = 0; sample < 9; ++sample) {
                const std::uint64_t span = p.size();
                if (sample >= 6 && !p.contains(kMapped[sample - 6])) continue;
                const IpAddress address = sample >= 6   ? kMapped[sample - 6]
                                          : sample == 0 ? p.base()
                                          : sample == 1 ? p.at(span - 1)
                                                        : p.at(span == 0 ? 0 : random() % span);
                ConnectionMetadata m;
                m.network = random() % 2 ? Network::tcp : Network::udp;
                m.destination = address;
                m.destination_port = static_cast<std::uint16_t>(pick(
                    std::vector<int>{22, 443, 480, 8080, 53, static_cast<int>(random() % 65536)}));
                m.source = *IpAddress::parse(pick(sources));
                m.source_port = static_cast<std::uint16_t>(random() % 3000);
                m.process_name = pick(processes);
                const Decision d = engine.evaluate(m);
                ASSERT_FALSE(d.needs_resolution);
                ASSERT_TRUE(d.rule_index == Decision::npos || d.target == "DIRECT")
                    << address.to_string() << " port " << m.destination_port << " went to "
                    << d.target << " by rule " << d.rule_index + 1 << " of:" << listing;
                ++checked;
            }
        }
    }
    EXPECT_GT(nonempty, 60u);  // the generator makes lists that do bypass
    EXPECT_GT(checked, 1000u);
}

}  // namespace
}  // namespace shunt::rules

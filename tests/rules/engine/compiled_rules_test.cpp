// CompiledRules against a rule-by-rule reference evaluator (random rule lists and
// connections) and tables per rule type and for the resolution flow.
#include "rules/engine/compiled_rules.hpp"

#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>
#include "rules/match/domain_regex.hpp"

#include <gtest/gtest.h>

#include "rules/parse/rule_parser.hpp"

namespace shunt::rules {
namespace {

class MapCountries final : public CountryLookup {
  public:
    std::map<std::string, std::string> by_address;  // address text -> code
    std::optional<CountryCode> country_of(const IpAddress& address) const override {
        auto it = by_address.find(address.to_string());
        if (it == by_address.end()) return std::nullopt;
        return CountryCode::parse(it->second);
    }
    std::vector<Prefix> prefixes_of(CountryCode country) const override {
        std::vector<Prefix> out;
        for (const auto& [address, code] : by_address)
            if (code == country.view()) {
                const IpAddress a = *IpAddress::parse(address);
                out.emplace_back(a, a.is_v4() ? 32 : 128);
            }
        return out;
    }
};

std::vector<RuleSpec> parse_all(const std::vector<std::string>& lines) {
    std::vector<RuleSpec> rules;
    for (const auto& line : lines) {
        auto parsed = parse_rule(line);
        if (!parsed.ok())
            throw std::runtime_error("bad test rule: " + line + ": " + parsed.error.message);
        rules.push_back(*parsed.rule);
    }
    return rules;
}

// ---- The reference: one rule after another, straight from the RuleSpecs. ----

bool wants_address(const RuleSpec& r) {
    if (is_logic_rule(r.type)) {
        for (const auto& c : r.children)
            if (wants_address(c)) return true;
        return false;
    }
    return (r.type == RuleType::ip_cidr || r.type == RuleType::ip_cidr6 ||
            r.type == RuleType::geoip) &&
           !r.no_resolve;
}

bool reference_matches(const RuleSpec& r, const ConnectionMetadata& m, const CountryLookup* geo) {
    const IpAddress* ip = m.resolved ? &*m.resolved : m.destination ? &*m.destination : nullptr;
    const std::string d(m.domain);
    auto in_ports = [](const PortList& ports, std::uint16_t p) {
        for (const auto& range : ports)
            if (p >= range.first && p <= range.last) return true;
        return false;
    };
    switch (r.type) {
        case RuleType::domain:
            return !d.empty() && d == r.payload;
        case RuleType::domain_suffix:
            return !d.empty() && (d == r.payload ||
                                  (d.size() > r.payload.size() && d.ends_with("." + r.payload)));
        case RuleType::domain_keyword:
            return !d.empty() && d.find(r.payload) != std::string::npos;
        case RuleType::domain_regex:
            return !d.empty() && DomainRegex::compile(r.payload)->matches_without_prefilter(d);
        case RuleType::ip_cidr:
        case RuleType::ip_cidr6:
            return ip && r.prefix()->contains(*ip);
        case RuleType::src_ip_cidr:
            return m.source && r.prefix()->contains(*m.source);
        case RuleType::geoip: {
            if (!ip || !geo) return false;
            auto c = geo->country_of(*ip);
            return c && c->view() == r.payload;
        }
        case RuleType::dst_port:
            return in_ports(*r.ports(), m.destination_port);
        case RuleType::src_port:
            return in_ports(*r.ports(), m.source_port);
        case RuleType::network:
            return m.network == *r.network();
        case RuleType::process_name:
            return !m.process_name.empty() && m.process_name == r.payload;
        case RuleType::process_path:
            return !m.process_path.empty() && m.process_path == r.payload;
        case RuleType::and_:
            for (const auto& c : r.children)
                if (!reference_matches(c, m, geo)) return false;
            return true;
        case RuleType::or_:
            for (const auto& c : r.children)
                if (reference_matches(c, m, geo)) return true;
            return false;
        case RuleType::not_:
            return !reference_matches(r.children.at(0), m, geo);
        case RuleType::match:
            return true;
        case RuleType::rule_set:
            throw std::logic_error("not in the reference");
    }
    return false;
}

struct RefResult {
    std::size_t index;
    bool needs_resolution;
};

// `start`: where a scan that stopped to resolve goes on (Clash resolves on reaching the
// IP rule and continues from it; earlier rules never see the address).
// `lookup_failed`: the name was resolved and had no address; rules wanting one miss.
RefResult reference_evaluate(const std::vector<RuleSpec>& rules, const ConnectionMetadata& m,
                             const CountryLookup* geo, std::size_t start = 0,
                             bool lookup_failed = false) {
    const bool no_address = !m.resolved && !m.destination && !lookup_failed;
    for (std::size_t i = start; i < rules.size(); ++i) {
        if (no_address && !m.domain.empty() && wants_address(rules[i])) return {i, true};
        if (reference_matches(rules[i], m, geo)) return {i, false};
    }
    return {Decision::npos, false};
}

// ---- Random rule lists over a small universe, so rules overlap and often match. ----

const std::vector<std::string> kDomains = {"",           "a.com",           "b.a.com", "x.b.a.com",
                                           "google.com", "mail.google.com", "ads.net", "c.org"};
const std::vector<std::string> kAddresses = {"10.0.0.1", "10.1.2.3", "192.168.1.1",
                                             "8.8.8.8",  "fd00::1",  "2001:db8::5"};
const std::vector<std::string> kCidrs = {"10.0.0.0/8",  "10.1.0.0/16", "10.1.2.0/24",
                                         "10.1.2.3/32", "0.0.0.0/0",   "192.168.0.0/16",
                                         "8.8.8.0/24",  "10.1.2.3/31"};
const std::vector<std::string> kCidrs6 = {"fd00::/8", "2001:db8::/32", "::/0", "fd00::1/128"};

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
}

std::string random_condition(std::mt19937& rng, int depth) {
    static const std::vector<std::string> simple = {
        "DOMAIN,a.com",
        "DOMAIN,b.a.com",
        "DOMAIN-SUFFIX,a.com",
        "DOMAIN-SUFFIX,google.com",
        "DOMAIN-SUFFIX,org",
        "DOMAIN-KEYWORD,goo",
        "DOMAIN-KEYWORD,ads",
        "DOMAIN-KEYWORD,b.a",
        "DOMAIN-REGEX,^mail\\.",
        "DOMAIN-REGEX,\\.org$",
        "DST-PORT,80",
        "DST-PORT,443/1000-2000",
        "SRC-PORT,5000-6000",
        "NETWORK,udp",
        "NETWORK,tcp",
        "PROCESS-NAME,curl",
        "PROCESS-PATH,/usr/bin/wget",
        "SRC-IP-CIDR,192.168.0.0/16",
        "GEOIP,CN",
        "GEOIP,US,no-resolve",
    };
    const int choice = std::uniform_int_distribution<int>(0, 9)(rng);
    if (depth < 2 && choice == 0) {
        return "AND,((" + random_condition(rng, depth + 1) + "),(" +
               random_condition(rng, depth + 1) + "))";
    }
    if (depth < 2 && choice == 1) {
        return "OR,((" + random_condition(rng, depth + 1) + "),(" +
               random_condition(rng, depth + 1) + "))";
    }
    if (depth < 2 && choice == 2) return "NOT,((" + random_condition(rng, depth + 1) + "))";
    if (choice == 3 || choice == 4) {
        const bool six = choice == 4;
        std::string line =
            std::string(six ? "IP-CIDR6," : "IP-CIDR,") + pick(rng, six ? kCidrs6 : kCidrs);
        if (rng() % 2) line += ",no-resolve";
        return line;
    }
    return pick(rng, simple);
}

// Logic sub-rules take no target; "no-resolve" must follow the target at top level.
std::string random_rule_line(std::mt19937& rng, int n) {
    if (rng() % 40 == 0) return "MATCH,final";
    std::string cond = random_condition(rng, 0);
    const std::string target = "t" + std::to_string(n);
    const auto nr = cond.find(",no-resolve");
    if (nr != std::string::npos && !cond.starts_with("AND") && !cond.starts_with("OR") &&
        !cond.starts_with("NOT")) {
        return cond.substr(0, nr) + "," + target + ",no-resolve";
    }
    return cond + "," + target;
}

std::optional<IpAddress> maybe_address(std::mt19937& rng) {
    if (rng() % 3 == 0) return std::nullopt;
    return IpAddress::parse(pick(rng, kAddresses));
}

TEST(CompiledRules, EqualsSequentialReferenceOnRandomLists) {
    std::mt19937 rng(20240611);
    MapCountries geo;
    geo.by_address = {{"10.1.2.3", "CN"}, {"8.8.8.8", "US"}, {"2001:db8::5", "CN"}};
    const std::vector<std::string> processes = {"", "curl", "wget"};
    int resolutions = 0, matches = 0;
    for (int list = 0; list < 300; ++list) {
        std::vector<std::string> lines;
        const int count = std::uniform_int_distribution<int>(0, 25)(rng);
        for (int i = 0; i < count; ++i) lines.push_back(random_rule_line(rng, i));
        const auto rules = parse_all(lines);
        const auto compiled = CompiledRules::compile(rules, {.countries = &geo});
        for (int trial = 0; trial < 40; ++trial) {
            ConnectionMetadata m;
            m.network = rng() % 2 ? Network::tcp : Network::udp;
            m.source = rng() % 2 ? IpAddress::parse("192.168.1.7") : IpAddress::parse("10.9.9.9");
            m.source_port =
                static_cast<std::uint16_t>(std::uniform_int_distribution<int>(4990, 6010)(rng));
            m.destination = maybe_address(rng);
            m.destination_port =
                static_cast<std::uint16_t>(pick(rng, std::vector<int>{80, 443, 1500, 22}));
            m.domain = pick(rng, kDomains);
            m.process_name = pick(rng, processes);
            m.process_path = m.process_name == "wget" ? "/usr/bin/wget" : "";
            SCOPED_TRACE(testing::Message() << "list " << list << " trial " << trial);

            auto expected = reference_evaluate(rules, m, &geo);
            auto got = compiled.evaluate(m);
            ASSERT_EQ(got.rule_index, expected.index);
            ASSERT_EQ(got.needs_resolution, expected.needs_resolution);
            if (got.needs_resolution && rng() % 4 == 0) {
                // The lookup finds nothing.
                const auto failed = reference_evaluate(rules, m, &geo, got.rule_index, true);
                const Decision after = compiled.resume(m, got);
                ASSERT_FALSE(after.needs_resolution);
                ASSERT_EQ(after.rule_index, failed.index);
            }
            if (got.needs_resolution) {
                ++resolutions;
                const Decision first = got;
                m.resolved = IpAddress::parse(pick(rng, kAddresses));
                expected = reference_evaluate(rules, m, &geo, first.rule_index);
                got = compiled.resume(m, first);
                ASSERT_FALSE(got.needs_resolution);
                ASSERT_EQ(got.rule_index, expected.index);
                ASSERT_EQ(compiled.evaluate(m).rule_index, expected.index);
            }
            if (got.rule_index != Decision::npos) {
                ++matches;
                EXPECT_EQ(got.target, rules[got.rule_index].target);
                EXPECT_EQ(got.type, rules[got.rule_index].type);
            } else {
                EXPECT_EQ(got.target, "DIRECT");
            }
        }
    }
    // The generator must exercise both paths, or the property says little.
    EXPECT_GT(resolutions, 500);
    EXPECT_GT(matches, 3000);
}

// ---- Tables ----

ConnectionMetadata by_domain(std::string_view domain) {
    ConnectionMetadata m;
    m.domain = domain;
    m.destination_port = 443;
    return m;
}

ConnectionMetadata by_address(const char* address, std::uint16_t port = 443) {
    ConnectionMetadata m;
    m.destination = IpAddress::parse(address);
    m.destination_port = port;
    return m;
}

TEST(CompiledRules, EmptyListIsDirect) {
    const auto rules = CompiledRules::compile({});
    const auto d = rules.evaluate(by_domain("a.com"));
    EXPECT_EQ(d.rule_index, Decision::npos);
    EXPECT_EQ(d.target, "DIRECT");
    EXPECT_FALSE(d.needs_resolution);
    EXPECT_EQ(CompiledRules{}.evaluate(by_address("1.2.3.4")).target, "DIRECT");
}

TEST(CompiledRules, DomainAndSuffixKeepListOrder) {
    auto rules =
        CompiledRules::compile(parse_all({"DOMAIN-SUFFIX,a.com,suffix", "DOMAIN,b.a.com,exact"}));
    EXPECT_EQ(rules.evaluate(by_domain("b.a.com")).target, "suffix");
    rules =
        CompiledRules::compile(parse_all({"DOMAIN,b.a.com,exact", "DOMAIN-SUFFIX,a.com,suffix"}));
    EXPECT_EQ(rules.evaluate(by_domain("b.a.com")).target, "exact");
    EXPECT_EQ(rules.evaluate(by_domain("c.a.com")).target, "suffix");
    EXPECT_EQ(rules.evaluate(by_domain("a.com")).target, "suffix");
    EXPECT_EQ(rules.evaluate(by_domain("xa.com")).target, "DIRECT");
    const auto d = rules.evaluate(by_domain("c.a.com"));
    EXPECT_EQ(d.rule_index, 1u);
    EXPECT_EQ(d.type, RuleType::domain_suffix);
    EXPECT_EQ(d.payload, "a.com");
}

TEST(CompiledRules, KeywordAgainstSequentialRules) {
    const auto rules = CompiledRules::compile(
        parse_all({"DST-PORT,22,ssh", "DOMAIN-KEYWORD,goo,kw", "NETWORK,udp,udp", "MATCH,final"}));
    EXPECT_EQ(rules.evaluate(by_domain("mail.google.com")).target, "kw");
    auto m = by_domain("mail.google.com");
    m.destination_port = 22;
    EXPECT_EQ(rules.evaluate(m).target, "ssh");
    m = by_domain("example.com");
    m.network = Network::udp;
    EXPECT_EQ(rules.evaluate(m).target, "udp");
    EXPECT_EQ(rules.evaluate(by_domain("example.com")).target, "final");
    EXPECT_EQ(rules.sequential_count(), 2u);
}

TEST(CompiledRules, OverlappingCidrsFollowListOrderNotPrefixLength) {
    const auto wide_first = CompiledRules::compile(
        parse_all({"IP-CIDR,10.0.0.0/8,wide", "IP-CIDR,10.1.2.0/24,narrow"}));
    EXPECT_EQ(wide_first.evaluate(by_address("10.1.2.3")).target, "wide");
    const auto narrow_first = CompiledRules::compile(
        parse_all({"IP-CIDR,10.1.2.0/24,narrow", "IP-CIDR,10.0.0.0/8,wide"}));
    EXPECT_EQ(narrow_first.evaluate(by_address("10.1.2.3")).target, "narrow");
    EXPECT_EQ(narrow_first.evaluate(by_address("10.9.0.1")).target, "wide");
    // A chain of three, the middle one first; a sibling prefix must not interfere.
    const auto chain =
        CompiledRules::compile(parse_all({"IP-CIDR,10.1.0.0/16,mid", "IP-CIDR,10.1.2.3/32,host",
                                          "IP-CIDR,10.0.0.0/8,wide", "IP-CIDR,10.2.0.0/16,sib"}));
    EXPECT_EQ(chain.evaluate(by_address("10.1.2.3")).target, "mid");
    EXPECT_EQ(chain.evaluate(by_address("10.2.0.1")).target, "wide");
    EXPECT_EQ(chain.evaluate(by_address("11.0.0.1")).target, "DIRECT");
    const auto v6 =
        CompiledRules::compile(parse_all({"IP-CIDR6,fd00::1/128,host", "IP-CIDR6,::/0,all"}));
    EXPECT_EQ(v6.evaluate(by_address("fd00::1")).target, "host");
    EXPECT_EQ(v6.evaluate(by_address("fd00::2")).target, "all");
    EXPECT_EQ(v6.evaluate(by_address("10.0.0.1")).target, "DIRECT");
}

// A no-resolve prefix containing a later rule's prefix: the chain minimum of the full
// table would say "early"; after resolution only rules from the resolving one count.
TEST(CompiledRules, ResumeIgnoresEarlierPrefixesContainingLaterOnes) {
    const auto rules = CompiledRules::compile(
        parse_all({"IP-CIDR,10.0.0.0/8,early,no-resolve", "IP-CIDR,1.0.0.0/8,resolving",
                   "IP-CIDR,10.1.0.0/16,late", "MATCH,final"}));
    auto m = by_domain("example.com");
    const Decision first = rules.evaluate(m);
    ASSERT_TRUE(first.needs_resolution);
    m.resolved = IpAddress::parse("10.1.2.3");
    EXPECT_EQ(rules.resume(m, first).target, "late");
    m.resolved = IpAddress::parse("10.9.9.9");
    EXPECT_EQ(rules.resume(m, first).target, "final");
    // A connection that had its address from the start sees every rule.
    EXPECT_EQ(rules.evaluate(by_address("10.1.2.3")).target, "early");
}

TEST(CompiledRules, ResolutionFlow) {
    const auto rules = CompiledRules::compile(
        parse_all({"DOMAIN,direct.com,DIRECT", "IP-CIDR,10.0.0.0/8,lan,no-resolve",
                   "DOMAIN-SUFFIX,google.com,proxy", "IP-CIDR,1.0.0.0/8,apnic", "MATCH,final"}));
    // Matched before any IP rule that wants an address: no resolution.
    EXPECT_FALSE(rules.evaluate(by_domain("direct.com")).needs_resolution);
    // no-resolve rules are skipped; the domain rule after them still matches first.
    EXPECT_EQ(rules.evaluate(by_domain("www.google.com")).target, "proxy");
    // Reaches IP-CIDR 1.0.0.0/8 without an address: ask once.
    auto m = by_domain("example.com");
    auto d = rules.evaluate(m);
    EXPECT_TRUE(d.needs_resolution);
    EXPECT_EQ(d.rule_index, 3u);
    const Decision first = d;
    m.resolved = IpAddress::parse("1.2.3.4");
    d = rules.resume(m, first);
    EXPECT_FALSE(d.needs_resolution);
    EXPECT_EQ(d.target, "apnic");
    // The scan went past the no-resolve rule without an address, as Clash's does: the
    // resolved address does not go back to it.
    m.resolved = IpAddress::parse("10.0.0.1");
    EXPECT_EQ(rules.resume(m, first).target, "final");
    EXPECT_EQ(rules.evaluate(m).target, "final");
    m.resolved = IpAddress::parse("9.9.9.9");
    EXPECT_EQ(rules.evaluate(m).target, "final");
    // The name does not resolve: the IP rule misses and the scan goes on.
    m.resolved.reset();
    d = rules.resume(m, first);
    EXPECT_FALSE(d.needs_resolution);
    EXPECT_EQ(d.target, "final");
    // No domain and no address: nothing to resolve, IP rules just miss.
    ConnectionMetadata bare;
    EXPECT_EQ(rules.evaluate(bare).target, "final");
}

TEST(CompiledRules, LogicRules) {
    const auto rules = CompiledRules::compile(parse_all({
        "AND,((DOMAIN-SUFFIX,a.com),(NETWORK,udp)),and",
        "OR,((DST-PORT,22),(DOMAIN,b.com)),or",
        "NOT,((DOMAIN-KEYWORD,safe)),not",
    }));
    auto m = by_domain("x.a.com");
    m.network = Network::udp;
    EXPECT_EQ(rules.evaluate(m).target, "and");
    EXPECT_EQ(rules.evaluate(by_domain("b.com")).target, "or");
    EXPECT_EQ(rules.evaluate(by_domain("x.a.com")).target, "not");
    EXPECT_EQ(rules.evaluate(by_domain("safe.org")).target, "DIRECT");
    // A logic rule containing a resolving IP rule asks for resolution when reached.
    const auto ip_logic =
        CompiledRules::compile(parse_all({"AND,((IP-CIDR,1.0.0.0/8),(NETWORK,tcp)),x"}));
    EXPECT_TRUE(ip_logic.evaluate(by_domain("example.com")).needs_resolution);
}

TEST(CompiledRules, PortRangesAndNetwork) {
    const auto rules = CompiledRules::compile(
        parse_all({"DST-PORT,80/8000-8080,web", "SRC-PORT,5000,src", "NETWORK,udp,udp"}));
    EXPECT_EQ(rules.evaluate(by_address("1.1.1.1", 80)).target, "web");
    EXPECT_EQ(rules.evaluate(by_address("1.1.1.1", 8000)).target, "web");
    EXPECT_EQ(rules.evaluate(by_address("1.1.1.1", 8080)).target, "web");
    EXPECT_EQ(rules.evaluate(by_address("1.1.1.1", 8081)).target, "DIRECT");
    auto m = by_address("1.1.1.1", 7999);
    m.source_port = 5000;
    EXPECT_EQ(rules.evaluate(m).target, "src");
    m.source_port = 1;
    m.network = Network::udp;
    EXPECT_EQ(rules.evaluate(m).target, "udp");
}

TEST(CompiledRules, GeoipNeedsALookupAndUsesIt) {
    const auto specs = parse_all({"GEOIP,CN,cn", "MATCH,final"});
    EXPECT_THROW(CompiledRules::compile(specs), std::invalid_argument);
    MapCountries geo;
    geo.by_address = {{"1.2.3.4", "CN"}};
    const auto rules = CompiledRules::compile(specs, {.countries = &geo});
    EXPECT_EQ(rules.evaluate(by_address("1.2.3.4")).target, "cn");
    EXPECT_EQ(rules.evaluate(by_address("5.6.7.8")).target, "final");
    EXPECT_TRUE(rules.evaluate(by_domain("example.cn")).needs_resolution);
}

TEST(CompiledRules, RuleSetsOfEachBehavior) {
    RuleSetLibrary sets;
    sets["ads"] = parse_rule_set_text("+.ads.net\nexact.org\n.below.io\n", RuleSetBehavior::domain,
                                      "ads.txt");
    sets["lan"] = parse_rule_set_text("10.0.0.0/8\nfd00::/8\n", RuleSetBehavior::ipcidr, "lan.txt");
    sets["mix"] =
        parse_rule_set_text("DOMAIN,mix.com\nDST-PORT,22\n", RuleSetBehavior::classical, "mix.txt");
    ASSERT_TRUE(sets["ads"].ok() && sets["lan"].ok() && sets["mix"].ok());
    const auto specs =
        parse_all({"RULE-SET,ads,reject", "RULE-SET,lan,lan", "RULE-SET,mix,mix", "MATCH,final"});
    EXPECT_THROW(CompiledRules::compile(specs), std::invalid_argument);
    const auto rules = CompiledRules::compile(specs, {.rule_sets = &sets});
    EXPECT_EQ(rules.evaluate(by_domain("x.ads.net")).target, "reject");
    EXPECT_EQ(rules.evaluate(by_domain("ads.net")).target, "reject");
    EXPECT_EQ(rules.evaluate(by_domain("exact.org")).target, "reject");
    EXPECT_EQ(rules.evaluate(by_domain("a.below.io")).target, "reject");
    EXPECT_TRUE(rules.evaluate(by_domain("below.io")).needs_resolution);  // reaches the ipcidr set
    EXPECT_EQ(rules.evaluate(by_address("10.3.3.3")).target, "lan");
    EXPECT_EQ(rules.evaluate(by_address("fd00::9")).target, "lan");
    EXPECT_EQ(rules.evaluate(by_address("9.9.9.9", 22)).target, "mix");
    auto m = by_domain("mix.com");
    m.resolved = IpAddress::parse("9.9.9.9");
    EXPECT_EQ(rules.evaluate(m).target, "mix");
    EXPECT_EQ(rules.evaluate(by_address("9.9.9.9")).target, "final");
}

}  // namespace
}  // namespace shunt::rules

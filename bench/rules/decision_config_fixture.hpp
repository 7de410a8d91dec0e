// A realistic Clash config for the decision benchmark, as text a user would write, and the
// connection stream it is evaluated against.
//
// Config (1,000 lines): private ranges (no-resolve) and the usual QUIC block first, then the
// user's own domain rules (~70% DOMAIN-SUFFIX, 10% DOMAIN, 10% DOMAIN-KEYWORD) with a few
// port, process, regex and logic rules and no-resolve IP rules scattered in, a RULE-SET over
// a 100,000-entry `domain` set two thirds down, then resolving IP-CIDR/IP-CIDR6 rules, a
// RULE-SET over tor-geoipdb's CN ranges (`ipcidr`), GEOIP,CN, NETWORK,udp and MATCH.
// The domain set holds synthetic registrable names under the public suffix list's suffixes
// ("+.name" mostly, some bare and ".name"), not the public suffixes themselves: a set
// holding "+.com" would answer every .com name and say nothing about the matcher.
//
// Connections: 70% fake-IP (a domain, no address, TCP 443/80), half of them hitting a domain
// rule, half missing every domain rule, reaching the resolving IP rules and carrying the
// address the resolver would return (a quarter inside CN, the rest random public v4); 30%
// IP-only (public v4, 15% v6, a third inside CN, some inside the config's IP rules, 10% UDP).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "bench/rules/rules_bench_fixture.hpp"
#include "net/ip_address.hpp"
#include "rules/engine/connection_metadata.hpp"

namespace shunt::bench {

struct DecisionConfig {
    std::vector<std::string> rule_lines;  // the config's `rules` list
    std::string domain_set_text;          // the `domain` rule-set file
    std::string cidr_set_text;            // the `ipcidr` rule-set file
    // What connections aim at to hit a rule.
    std::vector<std::string> suffix_rules, exact_rules, keyword_rules, set_names;
    std::vector<Prefix> ip_rules;
    std::unordered_set<std::string> all_names;  // every rule and set name, to build misses
};

struct Connection {
    rules::ConnectionMetadata metadata;
    IpAddress resolve_to;  // the answer the resolver gives when the engine asks for it
};

inline constexpr std::size_t kConfigRuleCount = 1000;
inline constexpr std::size_t kDomainSetSize = 100'000;
inline constexpr std::string_view kDomainSetName = "proxy-domains";
inline constexpr std::string_view kCidrSetName = "cn-cidr";

inline IpAddress random_public_v4(std::mt19937_64& rng) {
    for (;;) {
        const auto value = static_cast<std::uint32_t>(rng());
        const unsigned first = value >> 24;
        if (first == 0 || first == 10 || first == 100 || first == 127 || first == 169 ||
            first == 172 || first == 192 || first >= 224)
            continue;
        return IpAddress::from_v4(value);
    }
}

inline IpAddress random_in(std::mt19937_64& rng, const Prefix& prefix) {
    return prefix.at(rng() % prefix.size());
}

// `with_regex` false writes the two DOMAIN-REGEX lines as DOMAIN-SUFFIX rules instead, to
// show what the regex rules cost per decision.
inline DecisionConfig make_decision_config(bool with_regex) {
    std::mt19937_64 rng(2024);
    DecisionConfig c;
    static constexpr const char* kTlds[] = {"com", "com", "com", "net",   "org", "cn",
                                            "io",  "jp",  "de",  "co.uk", "tv"};
    auto fresh_name = [&](int min_len, int max_len) {
        for (;;) {
            auto name = random_label(rng, min_len, max_len) + "." + kTlds[rng() % std::size(kTlds)];
            if (c.all_names.insert(name).second) return name;
        }
    };
    const char* kTargets[] = {"PROXY", "DIRECT", "Streaming", "PROXY", "AdBlock"};
    auto target = [&] { return std::string(kTargets[rng() % std::size(kTargets)]); };

    auto& lines = c.rule_lines;
    for (const char* cidr : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
                             "100.64.0.0/10", "fc00::/7", "fe80::/10"})
        lines.push_back(std::string(cidr).find(':') != std::string::npos
                            ? std::string("IP-CIDR6,") + cidr + ",DIRECT,no-resolve"
                            : std::string("IP-CIDR,") + cidr + ",DIRECT,no-resolve");
    lines.push_back("AND,((NETWORK,udp),(DST-PORT,443)),REJECT");
    lines.push_back(with_regex ? "DOMAIN-REGEX,^ad[sx]?[0-9]*\\.,REJECT"
                               : "DOMAIN-SUFFIX,ads.example,REJECT");
    lines.push_back("PROCESS-NAME,curl,DIRECT");
    lines.push_back("PROCESS-NAME,Telegram,PROXY");

    // The tail, fixed; the middle is filled up to kConfigRuleCount.
    std::vector<std::string> tail;
    for (int i = 0; i < 50; ++i) {
        Prefix p(random_public_v4(rng), 16 + static_cast<int>(rng() % 9));
        c.ip_rules.push_back(p);
        tail.push_back("IP-CIDR," + p.to_string() + "," + target());
    }
    for (int i = 0; i < 8; ++i) {
        const auto high = (std::uint64_t{0x2000} << 48) | (rng() & 0x1fff'ffff'ffffULL) << 16;
        Prefix p(IpAddress::from_v6_u128(static_cast<unsigned __int128>(high) << 64), 32);
        c.ip_rules.push_back(p);
        tail.push_back("IP-CIDR6," + p.to_string() + "," + target());
    }
    tail.push_back("RULE-SET," + std::string(kCidrSetName) + ",DIRECT");
    tail.push_back("GEOIP,CN,DIRECT");
    tail.push_back("NETWORK,udp,DIRECT");
    tail.push_back("MATCH,PROXY");

    const std::size_t middle = kConfigRuleCount - lines.size() - tail.size();
    const std::size_t set_position = middle * 2 / 3;
    for (std::size_t i = 0; i < middle; ++i) {
        const std::size_t slot = i % 100;
        if (i == set_position) {
            lines.push_back("RULE-SET," + std::string(kDomainSetName) + ",PROXY");
        } else if (i == 300) {
            lines.push_back(!with_regex
                                ? "DOMAIN-SUFFIX,telemetry.example,REJECT"
                                : "DOMAIN-REGEX,^(.+\\.)?(tracker|telemetry)[0-9]*\\.,REJECT");
        } else if (i == 150) {
            lines.push_back("OR,((DOMAIN-KEYWORD,doubleclick),(DOMAIN-SUFFIX,ads.example)),REJECT");
        } else if (i == 450) {
            lines.push_back("AND,((DOMAIN-SUFFIX,corp.example),(NOT,((DST-PORT,443)))),DIRECT");
        } else if (i == 200 || i == 500 || i == 700) {
            lines.push_back(
                i == 200 ? "DST-PORT,22,DIRECT"
                         : (i == 500 ? "DST-PORT,25/465/587,REJECT" : "DST-PORT,6881-6889,DIRECT"));
        } else if (i == 600) {
            lines.push_back("PROCESS-NAME,sshd,DIRECT");
        } else if (slot < 5) {
            // Telegram-style ranges users list with no-resolve.
            Prefix p(random_public_v4(rng), 20 + static_cast<int>(rng() % 5));
            c.ip_rules.push_back(p);
            lines.push_back("IP-CIDR," + p.to_string() + "," + target() + ",no-resolve");
        } else if (slot < 16) {
            c.exact_rules.push_back(fresh_name(3, 10));
            lines.push_back("DOMAIN," + c.exact_rules.back() + "," + target());
        } else if (slot < 27) {
            std::string keyword;
            for (int n = 5 + static_cast<int>(rng() % 4); n > 0; --n)
                keyword += static_cast<char>('a' + rng() % 26);
            c.keyword_rules.push_back(keyword);
            lines.push_back("DOMAIN-KEYWORD," + keyword + "," + target());
        } else {
            c.suffix_rules.push_back(fresh_name(4, 12));
            lines.push_back("DOMAIN-SUFFIX," + c.suffix_rules.back() + "," + target());
        }
    }
    lines.insert(lines.end(), tail.begin(), tail.end());

    const auto suffixes = public_suffixes();
    while (c.set_names.size() < kDomainSetSize) {
        auto name = random_label(rng, 4, 12) + "." + suffixes[rng() % suffixes.size()];
        if (!c.all_names.insert(name).second) continue;
        const auto form = rng() % 20;
        c.domain_set_text += form < 16 ? "+." : (form < 19 ? "" : ".");
        c.domain_set_text += name + "\n";
        // Bare entries match only themselves: aim at them exactly (prefix "=").
        c.set_names.push_back(form < 16 ? name : (form < 19 ? "=" + name : "." + name));
    }
    c.cidr_set_text = "# tor-geoipdb CN ranges as CIDRs\n";
    for (auto family : {IpAddress::Family::v4, IpAddress::Family::v6})
        for (const auto& prefix : country_prefixes("CN", family))
            c.cidr_set_text += prefix.to_string() + "\n";
    return c;
}

// Connections cycled through by the benchmark. Domains live in `text`; the metadata views it.
struct ConnectionStream {
    std::string text;
    std::vector<Connection> connections;
};

inline ConnectionStream make_connection_stream(const DecisionConfig& c, std::size_t count) {
    std::mt19937_64 rng(77);
    const auto cn_v4 = country_prefixes("CN", IpAddress::Family::v4);
    const auto cn_v6 = country_prefixes("CN", IpAddress::Family::v6);
    const auto suffixes = public_suffixes();
    static constexpr std::string_view kProcesses[] = {"curl", "Telegram", "firefox", "sshd"};

    std::vector<std::string> domains;
    std::size_t fake_ip_count = 0;
    ConnectionStream stream;
    stream.connections.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        Connection& conn = stream.connections[i];
        auto& m = conn.metadata;
        if (rng() % 20 == 0) m.process_name = kProcesses[rng() % std::size(kProcesses)];
        if (i % 10 < 7) {  // fake-IP: known by name only
            m.destination_port = rng() % 5 == 0 ? 80 : 443;
            std::string name;
            for (int labels = static_cast<int>(rng() % 3); labels > 0; --labels)
                name += random_label(rng, 1, 10) + ".";
            if (fake_ip_count++ % 2 == 0) {  // aims at a rule
                const auto kind = rng() % 20;
                if (kind < 9) {
                    const std::string& entry = c.set_names[rng() % c.set_names.size()];
                    if (entry[0] == '=')
                        name = entry.substr(1);
                    else if (entry[0] == '.')
                        name += random_label(rng, 2, 8) + entry;
                    else
                        name += entry;
                } else if (kind < 16) {
                    name += c.suffix_rules[rng() % c.suffix_rules.size()];
                } else if (kind < 18) {
                    name = c.exact_rules[rng() % c.exact_rules.size()];
                } else {
                    name += random_label(rng, 1, 5) +
                            c.keyword_rules[rng() % c.keyword_rules.size()] +
                            random_label(rng, 0, 4) + ".com";
                }
            } else {  // misses every domain rule (keyword/regex accidents aside)
                for (;;) {
                    auto registrable =
                        random_label(rng, 4, 12) + "." + suffixes[rng() % suffixes.size()];
                    if (!c.all_names.count(registrable)) {
                        name += registrable;
                        break;
                    }
                }
            }
            domains.push_back(std::move(name));
            const auto answer = rng() % 20;
            conn.resolve_to = answer < 5   ? random_in(rng, cn_v4[rng() % cn_v4.size()])
                              : answer < 7 ? random_in(rng, c.ip_rules[rng() % c.ip_rules.size()])
                                           : random_public_v4(rng);
        } else {  // IP-only
            domains.emplace_back();
            const auto port = rng() % 20;
            m.destination_port = port < 16 ? 443 : (port < 18 ? 80 : (port < 19 ? 22 : 6881));
            if (rng() % 10 == 0) m.network = rules::Network::udp;
            const auto where = rng() % 20;
            if (rng() % 100 < 15) {
                m.destination =
                    where < 8 ? random_in(rng, cn_v6[rng() % cn_v6.size()])
                              : IpAddress::from_v6_u128(
                                    (static_cast<unsigned __int128>(rng()) << 64 | rng()) >> 3 |
                                    static_cast<unsigned __int128>(1) << 125);
            } else {
                m.destination = where < 7    ? random_in(rng, cn_v4[rng() % cn_v4.size()])
                                : where < 10 ? random_in(rng, c.ip_rules[rng() % c.ip_rules.size()])
                                             : random_public_v4(rng);
            }
        }
    }
    for (const auto& name : domains) stream.text += name;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < count; ++i) {
        stream.connections[i].metadata.domain = {stream.text.data() + offset, domains[i].size()};
        offset += domains[i].size();
    }
    std::shuffle(stream.connections.begin(), stream.connections.end(), rng);
    return stream;
}

}  // namespace shunt::bench

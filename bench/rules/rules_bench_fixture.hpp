// Test data shared by the bench_rules cases: random DNS labels, the ASCII rules of Debian's
// public suffix list (the realistic suffix distribution synthetic domains are built on) and
// tor-geoipdb's country prefixes (read once per process).
#pragma once

#include <algorithm>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "net/ip_address.hpp"
#include "rules/geo/tor_geoip.hpp"

namespace shunt::bench {

inline constexpr const char* kPublicSuffixList = "/usr/share/publicsuffix/public_suffix_list.dat";

inline std::string random_label(std::mt19937_64& rng, int min_len, int max_len) {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::uniform_int_distribution<int> len(min_len, max_len), pick(0, 35);
    std::string s;
    for (int i = len(rng); i > 0; --i) s += alphabet[pick(rng)];
    // Letters first so a label never looks numeric.
    if (!s.empty()) s[0] = static_cast<char>('a' + rng() % 26);
    return s;
}

// The list's ASCII rules with "*." and "!" stripped (IDN rules are skipped: names reach the
// matcher in punycode, and the list spells those rules in UTF-8).
inline std::vector<std::string> public_suffixes() {
    std::ifstream in(kPublicSuffixList);
    if (!in) throw std::runtime_error(std::string("cannot read ") + kPublicSuffixList);
    std::unordered_set<std::string> seen;
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
        auto end = line.find_first_of(" \t\r");
        if (end != std::string::npos) line.resize(end);
        if (line.empty() || line.starts_with("//")) continue;
        if (line.starts_with("!")) line.erase(0, 1);
        if (line.starts_with("*.")) line.erase(0, 2);
        if (std::any_of(line.begin(), line.end(), [](char c) { return c & 0x80; })) continue;
        std::transform(line.begin(), line.end(), line.begin(),
                       [](char c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; });
        if (seen.insert(line).second) out.push_back(line);
    }
    return out;
}

inline const rules::TorGeoipDatabase& tor_geoip() {
    static const auto database = rules::read_tor_geoip();
    return database;
}

inline std::vector<Prefix> country_prefixes(std::string_view code, IpAddress::Family family) {
    std::vector<Prefix> out;
    for (const auto& prefix : tor_geoip().country(code))
        if (prefix.family() == family) out.push_back(prefix);
    return out;
}

}  // namespace shunt::bench

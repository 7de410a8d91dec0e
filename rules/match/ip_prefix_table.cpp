#include "rules/match/ip_prefix_table.hpp"

namespace shunt::rules {

IpPrefixTable::IpPrefixTable(std::span<const PrefixValue> entries) {
    std::vector<IpMultibitTrie<std::uint32_t>::Route> v4_routes;
    std::vector<IpMultibitTrie<uint128>::Route> v6_routes;
    for (const auto& entry : entries) {
        const Prefix& prefix = entry.prefix;
        if (prefix.family() == IpAddress::Family::v4) {
            v4_routes.push_back({prefix.base().v4(), prefix.length(), entry.value});
            continue;
        }
        const uint128 base = load_v6(prefix.base());
        if (prefix.length() >= 96 && is_v4_mapped(base)) {
            // Mapped addresses are looked up in the v4 trie, so their prefixes live there.
            v4_routes.push_back(
                {static_cast<std::uint32_t>(base), prefix.length() - 96, entry.value});
        } else {
            v6_routes.push_back({base, prefix.length(), entry.value});
        }
    }
    v4_.build(v4_routes);
    v6_.build(v6_routes);
}

IpPrefixTable IpPrefixTable::from_set(std::span<const Prefix> prefixes, std::uint32_t value) {
    std::vector<PrefixValue> entries;
    entries.reserve(prefixes.size());
    for (const auto& prefix : prefixes) entries.push_back({prefix, value});
    return IpPrefixTable(entries);
}

}  // namespace shunt::rules

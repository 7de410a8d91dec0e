// A set of IPv4 and IPv6 prefixes (a country IP list, the domestic set of the DNS
// split) answering "is this address inside any of them".
//
// Prefixes are kept as sorted, merged, disjoint address ranges per family, so a lookup
// is one binary search. The rules issue will bring a faster trie; this is the simple,
// obviously correct version the resolver needs now.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ip_address.hpp"

namespace shunt::dns {

class IpSet {
  public:
    IpSet() = default;
    explicit IpSet(const std::vector<Prefix>& prefixes);

    // One CIDR or bare address per line; '#' starts a comment; blank lines are skipped.
    // Throws std::runtime_error naming "file:line" on a malformed line or an unreadable
    // file.
    static IpSet load_file(const std::string& path);
    // The same format from memory; `source` names it in errors.
    static IpSet parse(std::string_view text, std::string_view source);

    bool contains(const IpAddress& address) const;
    bool empty() const { return v4_.empty() && v6_.empty(); }
    // Disjoint ranges after merging (for logs: how big the set really is).
    std::size_t range_count() const { return v4_.size() + v6_.size(); }

  private:
    using u128 = unsigned __int128;
    // Inclusive [first, last] ranges, sorted by first, disjoint and not adjacent.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> v4_;
    std::vector<std::pair<u128, u128>> v6_;
};

}  // namespace shunt::dns

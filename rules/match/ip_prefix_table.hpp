// Longest-prefix match from an address to a uint32 value (a rule index or a set id).
// IP-CIDR, IP-CIDR6, SRC-IP-CIDR, GEOIP and ipcidr rule sets all compile to one of these.
//
// Layout: one multibit trie per family (ip_multibit_trie.hpp), strides 16 then 8, 8, ...
//   v4: 2^16-entry root (256 KiB) -> 256-entry chunks for /17-/24 -> chunks for /25-/32,
//   v6: the same root for the first 16 bits, then up to fourteen 8-bit levels, chunks only
//       where a prefix longer than the level start exists.
// Every entry is one uint32: either the answer or "descend to chunk N". Prefixes are
// leaf-pushed at build time (a chunk starts as copies of the entry it replaces), so a
// lookup is 1 read for most v4 addresses (the root; fits in L2), at most 3 for v4, and
// needs no backtracking or "best so far" register. After the build, identical chunks are
// stored once (hash-consing), which is what keeps a full GEOIP table small: most /16s split
// into a handful of shapes that repeat.
// Measured (bench_rules, tor-geoipdb): CN v4 6,612 prefixes -> 1.3 MB; all 260 countries'
// v4 562k prefixes -> 27,448 chunks, 28 MB; CN v6 5,136 prefixes -> 1.2 MB. An empty
// family costs 4 bytes (see IpMultibitTrie::root_).
// Why not a 2^24 first level (DIR-24-8): 64 MiB is too much for a 128 MiB router. Why not
// an LC-trie or poptrie: more instructions per level and a dependent popcount per step;
// this layout already answers most addresses from one cache line of a 256 KiB array.
//
// Semantics: the longest matching prefix wins; among identical prefixes (same base and
// length) the lowest value wins. Values must be below kNoMatch (2^31 - 1).
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are looked up in the v4 trie, and v6
// prefixes inside ::ffff:0:0/96 are stored there as the v4 prefixes they denote: such
// traffic is IPv4 traffic. A v6 prefix shorter than /96 that covers the mapped range
// (e.g. ::/0) therefore does not match mapped addresses.
// Immutable after construction: lookups from many threads need no locking.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "net/ip_address.hpp"
#include "rules/match/ip_multibit_trie.hpp"

namespace shunt::rules {

struct PrefixValue {
    Prefix prefix;
    std::uint32_t value = 0;
};

class IpPrefixTable {
  public:
    static constexpr std::uint32_t kNoMatch = IpMultibitTrie<std::uint32_t>::kNoMatch;

    IpPrefixTable() = default;  // empty: every lookup misses
    // Throws std::invalid_argument if a value is >= kNoMatch.
    explicit IpPrefixTable(std::span<const PrefixValue> entries);
    // A set: every prefix maps to `value` ("is the address in the set").
    static IpPrefixTable from_set(std::span<const Prefix> prefixes, std::uint32_t value = 0);

    std::optional<std::uint32_t> lookup(const IpAddress& address) const {
        const std::uint32_t value = lookup_or_sentinel(address);
        if (value == kNoMatch) return std::nullopt;
        return value;
    }
    bool contains(const IpAddress& address) const {
        return lookup_or_sentinel(address) != kNoMatch;
    }
    // The hot paths: kNoMatch when nothing matches.
    std::uint32_t lookup_v4(std::uint32_t host_order) const { return v4_.lookup(host_order); }
    std::uint32_t lookup_v6(uint128 address) const {
        if (is_v4_mapped(address)) return v4_.lookup(static_cast<std::uint32_t>(address));
        return v6_.lookup(address);
    }
    std::uint32_t lookup_or_sentinel(const IpAddress& address) const {
        if (address.is_v4()) return v4_.lookup(address.v4());
        return lookup_v6(load_v6(address));
    }

    std::size_t memory_bytes() const { return v4_.memory_bytes() + v6_.memory_bytes(); }
    std::size_t v4_prefix_count() const { return v4_.route_count(); }
    std::size_t v6_prefix_count() const { return v6_.route_count(); }
    std::size_t chunk_count() const { return v4_.chunk_count() + v6_.chunk_count(); }

    // ::ffff:0:0/96
    static bool is_v4_mapped(uint128 address) { return (address >> 32) == 0xffff; }

  private:
    static uint128 load_v6(const IpAddress& address) {
        std::uint64_t high = 0;
        std::uint64_t low = 0;
        std::memcpy(&high, address.bytes().data(), 8);
        std::memcpy(&low, address.bytes().data() + 8, 8);
        if constexpr (std::endian::native == std::endian::little) {
            high = __builtin_bswap64(high);
            low = __builtin_bswap64(low);
        }
        return (uint128{high} << 64) | low;
    }

    IpMultibitTrie<std::uint32_t> v4_;
    IpMultibitTrie<uint128> v6_;
};

}  // namespace shunt::rules

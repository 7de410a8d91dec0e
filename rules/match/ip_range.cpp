#include "rules/match/ip_range.hpp"

#include <algorithm>

namespace shunt::rules {

namespace {

using uint128 = unsigned __int128;

int trailing_zero_bits(uint128 value, int width) {
    if (value == 0) return width;
    const auto low = static_cast<unsigned long long>(value);
    if (low != 0) return __builtin_ctzll(low);
    return 64 + __builtin_ctzll(static_cast<unsigned long long>(value >> 64));
}

// floor(log2(span + 1)) without computing span + 1, which overflows for a full range.
int block_bits_fitting(uint128 span, int width) {
    const uint128 all_ones = width == 128 ? ~uint128{0} : (uint128{1} << width) - 1;
    if (span == all_ones) return width;
    const uint128 count = span + 1;
    const auto high = static_cast<unsigned long long>(count >> 64);
    if (high != 0) return 127 - __builtin_clzll(high);
    return 63 - __builtin_clzll(static_cast<unsigned long long>(count));
}

}  // namespace

bool append_range_prefixes(const IpAddress& first, const IpAddress& last,
                           std::vector<Prefix>& out) {
    if (first.family() != last.family()) return false;
    const bool v4 = first.is_v4();
    const int width = v4 ? 32 : 128;
    uint128 from = v4 ? first.v4() : first.to_u128();
    const uint128 to = v4 ? last.v4() : last.to_u128();
    if (from > to) return false;
    // Greedy: at each step take the largest block that starts at `from` (limited by its
    // alignment) and does not pass `to`. This yields the minimal cover.
    while (true) {
        const int bits =
            std::min(trailing_zero_bits(from, width), block_bits_fitting(to - from, width));
        const IpAddress base = v4 ? IpAddress::from_v4(static_cast<std::uint32_t>(from))
                                  : IpAddress::from_v6_u128(from);
        out.emplace_back(base, width - bits);
        const uint128 block_last = from + ((bits == 128 ? ~uint128{0} : (uint128{1} << bits) - 1));
        if (block_last >= to) return true;
        from = block_last + 1;
    }
}

std::vector<Prefix> range_to_prefixes(const IpAddress& first, const IpAddress& last) {
    std::vector<Prefix> out;
    append_range_prefixes(first, last, out);
    return out;
}

}  // namespace shunt::rules

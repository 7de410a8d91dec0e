// AddressSet: a set of IPv4 and IPv6 addresses as sorted, disjoint, non-adjacent
// inclusive ranges, with the set algebra the eBPF bypass compiler walks the rules with
// (union, intersection, difference, complement) and the way back to the fewest CIDRs.
//
// Ranges, not prefixes: subtracting a /32 from a /8 is two ranges here and 24 prefixes as
// CIDRs; prefixes are only made once, at the end (to_prefixes). Both families live in one
// value so a rule that matches "everything" or "the LAN" is one set, and every operation
// works on the two families independently (an IPv4 prefix never covers an IPv6 address,
// as in Prefix::contains).
#pragma once

#include <cstddef>
#include <vector>

#include "net/ip_address.hpp"

namespace shunt::rules {

class AddressSet {
  public:
    using Value = unsigned __int128;
    struct Range {
        Value first = 0;
        Value last = 0;  // inclusive
        friend bool operator==(const Range&, const Range&) = default;
    };

    AddressSet() = default;  // empty
    static AddressSet everything();
    static AddressSet of(const Prefix& prefix);
    static AddressSet of(const std::vector<Prefix>& prefixes);

    AddressSet united(const AddressSet& other) const;
    AddressSet intersected(const AddressSet& other) const;
    AddressSet without(const AddressSet& other) const;
    AddressSet complement() const { return everything().without(*this); }

    bool empty() const { return v4_.empty() && v6_.empty(); }
    bool contains(const IpAddress& address) const;
    // The share of the family's whole address space in the set, 0..1.
    double fraction(IpAddress::Family family) const;
    // The fewest prefixes whose union is the set: IPv4 first, each family in address order.
    std::vector<Prefix> to_prefixes() const;
    std::size_t range_count() const { return v4_.size() + v6_.size(); }
    const std::vector<Range>& ranges(IpAddress::Family family) const {
        return family == IpAddress::Family::v4 ? v4_ : v6_;
    }

    friend bool operator==(const AddressSet&, const AddressSet&) = default;

  private:
    // Sorts and merges overlapping or adjacent ranges.
    static std::vector<Range> normalized(std::vector<Range> ranges);

    std::vector<Range> v4_;  // values below 2^32
    std::vector<Range> v6_;
};

}  // namespace shunt::rules

#include "rules/match/address_set.hpp"

#include <algorithm>
#include <cmath>

#include "rules/match/ip_range.hpp"

namespace shunt::rules {

namespace {

using Value = AddressSet::Value;
using Range = AddressSet::Range;

constexpr Value kLastV4 = 0xffffffffu;
constexpr Value kLastV6 = ~Value{0};

Value value_of(const IpAddress& address) {
    return address.is_v4() ? Value{address.v4()} : address.to_u128();
}

Range range_of(const Prefix& prefix) {
    const int width = prefix.family() == IpAddress::Family::v4 ? 32 : 128;
    const int host_bits = width - prefix.length();
    const Value first = value_of(prefix.base());
    const Value span = host_bits == 128 ? kLastV6 : (Value{1} << host_bits) - 1;
    return {first, first + span};
}

std::vector<Range> intersect(const std::vector<Range>& a, const std::vector<Range>& b) {
    std::vector<Range> out;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        const Value first = std::max(a[i].first, b[j].first);
        const Value last = std::min(a[i].last, b[j].last);
        if (first <= last) out.push_back({first, last});
        // The range that ends first cannot meet anything further in the other list.
        if (a[i].last < b[j].last) {
            ++i;
        } else {
            ++j;
        }
    }
    return out;
}

std::vector<Range> subtract(const std::vector<Range>& a, const std::vector<Range>& b) {
    std::vector<Range> out;
    std::size_t j = 0;
    for (Range piece : a) {
        // Ranges of b wholly before this piece are before every later piece too.
        while (j < b.size() && b[j].last < piece.first) ++j;
        std::size_t k = j;
        bool left = true;
        while (k < b.size() && b[k].first <= piece.last) {
            if (b[k].first > piece.first) out.push_back({piece.first, b[k].first - 1});
            if (b[k].last >= piece.last) {
                left = false;
                break;
            }
            piece.first = b[k].last + 1;
            ++k;
        }
        if (left) out.push_back(piece);
    }
    return out;
}

double share(const std::vector<Range>& ranges, int width) {
    long double total = 0;
    for (const Range& r : ranges) total += static_cast<long double>(r.last - r.first) + 1.0L;
    return static_cast<double>(total / std::ldexp(1.0L, width));
}

}  // namespace

std::vector<Range> AddressSet::normalized(std::vector<Range> ranges) {
    std::sort(ranges.begin(), ranges.end(),
              [](const Range& x, const Range& y) { return x.first < y.first; });
    std::vector<Range> out;
    for (const Range& r : ranges) {
        // Adjacent ranges merge too (the guard keeps last + 1 from wrapping at the top).
        if (!out.empty() && (out.back().last == kLastV6 || r.first <= out.back().last + 1)) {
            out.back().last = std::max(out.back().last, r.last);
        } else {
            out.push_back(r);
        }
    }
    return out;
}

AddressSet AddressSet::everything() {
    AddressSet set;
    set.v4_.push_back({0, kLastV4});
    set.v6_.push_back({0, kLastV6});
    return set;
}

AddressSet AddressSet::of(const Prefix& prefix) {
    AddressSet set;
    (prefix.family() == IpAddress::Family::v4 ? set.v4_ : set.v6_).push_back(range_of(prefix));
    return set;
}

AddressSet AddressSet::of(const std::vector<Prefix>& prefixes) {
    AddressSet set;
    for (const Prefix& p : prefixes)
        (p.family() == IpAddress::Family::v4 ? set.v4_ : set.v6_).push_back(range_of(p));
    set.v4_ = normalized(std::move(set.v4_));
    set.v6_ = normalized(std::move(set.v6_));
    return set;
}

AddressSet AddressSet::united(const AddressSet& other) const {
    AddressSet set;
    set.v4_ = v4_;
    set.v4_.insert(set.v4_.end(), other.v4_.begin(), other.v4_.end());
    set.v4_ = normalized(std::move(set.v4_));
    set.v6_ = v6_;
    set.v6_.insert(set.v6_.end(), other.v6_.begin(), other.v6_.end());
    set.v6_ = normalized(std::move(set.v6_));
    return set;
}

AddressSet AddressSet::intersected(const AddressSet& other) const {
    AddressSet set;
    set.v4_ = intersect(v4_, other.v4_);
    set.v6_ = intersect(v6_, other.v6_);
    return set;
}

AddressSet AddressSet::without(const AddressSet& other) const {
    AddressSet set;
    set.v4_ = subtract(v4_, other.v4_);
    set.v6_ = subtract(v6_, other.v6_);
    return set;
}

bool AddressSet::contains(const IpAddress& address) const {
    const auto& ranges = address.is_v4() ? v4_ : v6_;
    const Value v = value_of(address);
    auto it = std::upper_bound(ranges.begin(), ranges.end(), v,
                               [](Value x, const Range& r) { return x < r.first; });
    return it != ranges.begin() && std::prev(it)->last >= v;
}

double AddressSet::fraction(IpAddress::Family family) const {
    return family == IpAddress::Family::v4 ? share(v4_, 32) : share(v6_, 128);
}

std::vector<Prefix> AddressSet::to_prefixes() const {
    std::vector<Prefix> out;
    for (const Range& r : v4_)
        append_range_prefixes(IpAddress::from_v4(static_cast<std::uint32_t>(r.first)),
                              IpAddress::from_v4(static_cast<std::uint32_t>(r.last)), out);
    for (const Range& r : v6_)
        append_range_prefixes(IpAddress::from_v6_u128(r.first), IpAddress::from_v6_u128(r.last),
                              out);
    return out;
}

}  // namespace shunt::rules

// Address ranges (first..last, inclusive) as the minimal list of CIDR prefixes.
// Range-based sources (tor-geoipdb, some country lists) need this before the prefix table.
#pragma once

#include <vector>

#include "net/ip_address.hpp"

namespace shunt::rules {

// Appends the fewest prefixes whose union is exactly [first, last], in address order.
// Both ends must be the same family and first <= last; otherwise nothing is appended and
// false is returned.
bool append_range_prefixes(const IpAddress& first, const IpAddress& last, std::vector<Prefix>& out);
std::vector<Prefix> range_to_prefixes(const IpAddress& first, const IpAddress& last);

}  // namespace shunt::rules

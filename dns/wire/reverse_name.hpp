// Reverse-lookup names (RFC 1035 in-addr.arpa, RFC 3596 ip6.arpa) to and from
// addresses, so the server can answer PTR queries for fake IPs with their domains.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/ip_address.hpp"

namespace shunt::dns {

// "1.0.18.198.in-addr.arpa" -> 198.18.0.1; the 32-nibble ip6.arpa form -> an IPv6
// address. Only complete names in canonical form (decimal octets without leading
// zeros, one hex digit per nibble label; either case, optional trailing dot); anything
// else, including partial names such as "18.198.in-addr.arpa", gives nullopt.
std::optional<IpAddress> parse_reverse_name(std::string_view name);

// The inverse: "1.0.18.198.in-addr.arpa", or lower-case nibbles under "ip6.arpa".
std::string make_reverse_name(const IpAddress& address);

}  // namespace shunt::dns

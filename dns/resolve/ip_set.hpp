// A set of IPv4 and IPv6 prefixes read from a file (the domestic set of the DNS split)
// answering "is this address inside any of them". The lookup is the rules' longest-prefix
// table (rules/match/ip_prefix_table.hpp), used as a set: one read for most IPv4
// addresses. IPv4-mapped IPv6 addresses count as the IPv4 addresses they carry, as
// everywhere in shunt.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip_address.hpp"
#include "rules/match/ip_prefix_table.hpp"

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

    bool contains(const IpAddress& address) const { return table_.lookup(address).has_value(); }
    bool empty() const { return prefix_count_ == 0; }
    std::size_t prefix_count() const { return prefix_count_; }

  private:
    rules::IpPrefixTable table_;
    std::size_t prefix_count_ = 0;
};

}  // namespace shunt::dns

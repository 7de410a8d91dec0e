// An interface's address with its prefix length, host bits kept ("198.18.0.1/15"): what
// the TUN device is given and what [tun] address says. Prefix clears the host bits, so it
// cannot carry the interface's own address.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/ip_address.hpp"

namespace shunt {

struct InterfaceAddress {
    IpAddress address;
    int prefix_length = 0;

    // "ADDRESS/LENGTH", or a bare address (the full length).
    static std::optional<InterfaceAddress> parse(std::string_view text);
    std::string to_string() const;
    friend bool operator==(const InterfaceAddress&, const InterfaceAddress&) = default;
};

}  // namespace shunt

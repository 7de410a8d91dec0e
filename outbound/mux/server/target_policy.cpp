#include "outbound/mux/server/target_policy.hpp"

#include <array>
#include <string_view>

namespace shunt::outbound::mux {

namespace {

struct SpecialRange {
    std::string_view prefix;
    std::string_view what;  // "is a <what>"
};

// Addresses that are not globally reachable (IANA special-purpose registries). Unicast
// documentation ranges are left out: they route nowhere anyway.
constexpr std::array kSpecialRanges{
    SpecialRange{"0.0.0.0/8", "\"this network\" address"},
    SpecialRange{"10.0.0.0/8", "private address"},
    SpecialRange{"100.64.0.0/10", "shared (carrier-grade NAT) address"},
    SpecialRange{"127.0.0.0/8", "loopback address"},
    SpecialRange{"169.254.0.0/16", "link-local address"},
    SpecialRange{"172.16.0.0/12", "private address"},
    SpecialRange{"192.0.0.0/24", "IETF protocol assignment"},
    SpecialRange{"192.168.0.0/16", "private address"},
    SpecialRange{"198.18.0.0/15", "benchmarking (fake-IP) address"},
    SpecialRange{"224.0.0.0/4", "multicast address"},
    SpecialRange{"240.0.0.0/4", "reserved address"},
    SpecialRange{"::/128", "unspecified address"},
    SpecialRange{"::1/128", "loopback address"},
    SpecialRange{"fc00::/7", "unique-local address"},
    SpecialRange{"fe80::/10", "link-local address"},
    SpecialRange{"ff00::/8", "multicast address"},
};

const std::vector<std::pair<Prefix, std::string_view>>& special_prefixes() {
    static const auto prefixes = [] {
        std::vector<std::pair<Prefix, std::string_view>> out;
        for (const auto& range : kSpecialRanges)
            out.emplace_back(*Prefix::parse(range.prefix), range.what);
        return out;
    }();
    return prefixes;
}

}  // namespace

TargetPolicy::TargetPolicy(bool allow_private, std::vector<Prefix> deny)
    : allow_private_(allow_private), deny_(std::move(deny)) {}

std::optional<std::string> TargetPolicy::why_denied(const IpAddress& address) const {
    // ::ffff:a.b.c.d is a.b.c.d: a client must not reach 127.0.0.1 by writing it as IPv6.
    const IpAddress judged = address.unmapped();
    for (const auto& prefix : deny_)
        if (prefix.contains(judged))
            return address.to_string() + " is in deny_targets (" + prefix.to_string() + ")";
    if (allow_private_) return std::nullopt;
    for (const auto& [prefix, what] : special_prefixes())
        if (prefix.contains(judged))
            return address.to_string() + " is a " + std::string(what) +
                   " (allow_private_targets = false)";
    return std::nullopt;
}

std::vector<IpAddress> TargetPolicy::filter(const std::vector<IpAddress>& addresses,
                                            std::string& why) const {
    std::vector<IpAddress> allowed;
    for (const auto& address : addresses) {
        auto denied = why_denied(address);
        if (!denied) {
            allowed.push_back(address);
            continue;
        }
        if (why.empty()) why = std::move(*denied);
    }
    return allowed;
}

std::string TargetPolicy::describe() const {
    std::string text = allow_private_ ? "private and loopback targets allowed"
                                      : "private, loopback and link-local targets refused";
    if (!deny_.empty()) {
        text += "; deny_targets:";
        for (const auto& prefix : deny_) {  // not `+=` of a `+`: GCC 12's -Wrestrict misfires
            text += ' ';
            text += prefix.to_string();
        }
    }
    return text;
}

}  // namespace shunt::outbound::mux

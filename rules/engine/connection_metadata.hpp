// What the rule engine knows about one connection when it picks an outbound.
//
// Views, not strings: the caller owns the domain and process texts for the duration of
// the evaluate() call, so building the metadata allocates nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "net/ip_address.hpp"
#include "rules/parse/rule_spec.hpp"

namespace shunt::rules {

struct ConnectionMetadata {
    Network network = Network::tcp;
    std::optional<IpAddress> source;
    std::uint16_t source_port = 0;
    // The real destination address; empty when the connection is known only by name (a
    // fake-IP connection whose fake address says nothing about the real one).
    std::optional<IpAddress> destination;
    std::uint16_t destination_port = 0;
    // Normalised (normalize_domain: lower case, no trailing dot); empty when unknown.
    std::string_view domain;
    // Filled by the caller after a Decision asked for resolution. IP rules use it in
    // preference to `destination`.
    std::optional<IpAddress> resolved;
    // The owner of the local socket, for traffic from this host; empty when unknown.
    std::string_view process_name;
    std::string_view process_path;

    // The address IP rules (IP-CIDR, IP-CIDR6, GEOIP, ipcidr rule sets) look at.
    const IpAddress* rule_address() const {
        if (resolved) return &*resolved;
        if (destination) return &*destination;
        return nullptr;
    }
};

}  // namespace shunt::rules

// Test helper: an independent reading of our wire output through ldns.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "dns/wire/ldns.hpp"

namespace shunt::test {

struct LdnsPacketFree {
    void operator()(ldns_pkt* packet) const { ldns_pkt_free(packet); }
};
using LdnsPacket = std::unique_ptr<ldns_pkt, LdnsPacketFree>;

// Null when ldns rejects the bytes.
inline LdnsPacket parse_with_ldns(const std::vector<std::uint8_t>& wire) {
    ldns_pkt* packet = nullptr;
    if (ldns_wire2pkt(&packet, wire.data(), wire.size()) != LDNS_STATUS_OK) return nullptr;
    return LdnsPacket(packet);
}

inline std::string rdf_text(const ldns_rdf* rdf) {
    if (rdf == nullptr) return "<null>";
    char* text = ldns_rdf2str(rdf);
    std::string result = text != nullptr ? text : "<null>";
    std::free(text);
    return result;
}

}  // namespace shunt::test

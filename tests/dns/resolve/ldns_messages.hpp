// DNS messages built and read with ldns for the resolver tests: an independent
// implementation of the wire format checks ours (header-only: only *_test.cpp and
// support/*.cpp files are compiled).
#pragma once

#include <ldns/ldns.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace shunt::dns::testing {

struct PktDeleter {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktDeleter>;

struct MessageSpec {
    std::string qname = "example.com.";
    ldns_rr_type qtype = LDNS_RR_TYPE_A;
    std::uint16_t id = 0x1234;
    bool response = true;
    ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
    std::vector<std::string> answer;  // RRs in presentation form
    std::vector<std::string> authority;
    std::vector<std::string> additional;
    bool edns = false;
    bool dnssec_ok = false;
    bool truncated = false;
    bool recursion_desired = true;
    bool authenticated_data = false;
    bool checking_disabled = false;
};

inline void push_rrs(ldns_pkt* pkt, ldns_pkt_section section, const std::vector<std::string>& rrs) {
    for (const auto& text : rrs) {
        ldns_rr* rr = nullptr;
        if (ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK)
            throw std::runtime_error("bad RR in test: " + text);
        ldns_pkt_push_rr(pkt, section, rr);
    }
}

inline std::vector<std::uint8_t> build_message(const MessageSpec& spec) {
    ldns_rdf* name = ldns_dname_new_frm_str(spec.qname.c_str());
    if (!name) throw std::runtime_error("bad name in test: " + spec.qname);
    std::uint16_t flags = spec.recursion_desired ? LDNS_RD : 0;
    PktPtr pkt(ldns_pkt_query_new(name, spec.qtype, LDNS_RR_CLASS_IN, flags));
    ldns_pkt_set_id(pkt.get(), spec.id);
    ldns_pkt_set_qr(pkt.get(), spec.response);
    ldns_pkt_set_ra(pkt.get(), spec.response);
    ldns_pkt_set_tc(pkt.get(), spec.truncated);
    ldns_pkt_set_ad(pkt.get(), spec.authenticated_data);
    ldns_pkt_set_cd(pkt.get(), spec.checking_disabled);
    ldns_pkt_set_rcode(pkt.get(), static_cast<std::uint8_t>(spec.rcode));
    push_rrs(pkt.get(), LDNS_SECTION_ANSWER, spec.answer);
    push_rrs(pkt.get(), LDNS_SECTION_AUTHORITY, spec.authority);
    push_rrs(pkt.get(), LDNS_SECTION_ADDITIONAL, spec.additional);
    if (spec.edns) {
        ldns_pkt_set_edns_udp_size(pkt.get(), 1232);
        ldns_pkt_set_edns_do(pkt.get(), spec.dnssec_ok);
    }
    std::uint8_t* buffer = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&buffer, pkt.get(), &size) != LDNS_STATUS_OK)
        throw std::runtime_error("ldns_pkt2wire failed");
    std::vector<std::uint8_t> wire(buffer, buffer + size);
    std::free(buffer);
    return wire;
}

inline PktPtr parse_message(const std::vector<std::uint8_t>& wire) {
    ldns_pkt* pkt = nullptr;
    if (ldns_wire2pkt(&pkt, wire.data(), wire.size()) != LDNS_STATUS_OK) return nullptr;
    return PktPtr(pkt);
}

// TTLs of one section's RRs, in order.
inline std::vector<std::uint32_t> section_ttls(ldns_pkt* pkt, ldns_pkt_section section) {
    std::vector<std::uint32_t> ttls;
    ldns_rr_list* list = ldns_pkt_get_section_clone(pkt, section);
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i)
        ttls.push_back(ldns_rr_ttl(ldns_rr_list_rr(list, i)));
    ldns_rr_list_deep_free(list);
    return ttls;
}

inline std::string question_name(ldns_pkt* pkt) {
    ldns_rr* q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    char* text = ldns_rdf2str(ldns_rr_owner(q));
    std::string out(text);
    std::free(text);
    return out;
}

}  // namespace shunt::dns::testing

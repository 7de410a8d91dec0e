// libFuzzer target for the query path: every input goes through parse_query, and every
// query it accepts through every response writer and truncate_for_udp. Invariants are
// checked with __builtin_trap so a violation is a crash the fuzzer records; ldns is the
// independent judge of the bytes we write.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "dns/wire/ldns.hpp"
#include "dns/wire/query_parser.hpp"
#include "dns/wire/response_writer.hpp"
#include "net/domain_name.hpp"

namespace {

using namespace shunt;
using namespace shunt::dns;

void check(bool condition) {
    if (!condition) __builtin_trap();
}

struct LdnsPacket {
    ldns_pkt* pkt = nullptr;
    explicit LdnsPacket(const std::vector<std::uint8_t>& wire) {
        if (ldns_wire2pkt(&pkt, wire.data(), wire.size()) != LDNS_STATUS_OK) pkt = nullptr;
    }
    ~LdnsPacket() {
        if (pkt != nullptr) ldns_pkt_free(pkt);
    }
    LdnsPacket(const LdnsPacket&) = delete;
    LdnsPacket& operator=(const LdnsPacket&) = delete;
};

// What every answer to an accepted query must satisfy, read back through ldns.
void check_answer(const std::vector<std::uint8_t>& out, std::span<const std::uint8_t> packet,
                  const Query& query, ldns_pkt_rcode rcode, std::uint16_t ancount) {
    check(out.size() >= query.question_end);
    check(std::memcmp(out.data() + kHeaderSize, packet.data() + kHeaderSize,
                      query.question_end - kHeaderSize) == 0);
    LdnsPacket parsed(out);
    check(parsed.pkt != nullptr);
    ldns_pkt* pkt = parsed.pkt;
    check(ldns_pkt_id(pkt) == query.id);
    check(ldns_pkt_qr(pkt));
    check(ldns_pkt_ra(pkt));
    check(!ldns_pkt_tc(pkt));
    check(ldns_pkt_rd(pkt) == query.recursion_desired);
    check(ldns_pkt_get_opcode(pkt) == LDNS_PACKET_QUERY);
    check(ldns_pkt_get_rcode(pkt) == rcode);
    check(ldns_pkt_qdcount(pkt) == 1);
    check(ldns_pkt_ancount(pkt) == ancount);
    check(ldns_pkt_nscount(pkt) == 0);
    check(ldns_pkt_edns(pkt) == query.has_edns);
    if (query.has_edns) {
        check(ldns_pkt_edns_udp_size(pkt) == kAdvertisedUdpPayload);
        check(ldns_pkt_edns_do(pkt) == query.dnssec_ok);
    }
    const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    check(question != nullptr);
    check(ldns_rr_get_type(question) == query.qtype);
    check(ldns_rr_get_class(question) == query.qclass);
}

// The accepted name, re-encoded from text, is the question's wire name in lower case.
void check_name_matches_wire(std::span<const std::uint8_t> packet, const Query& query) {
    std::size_t pos = kHeaderSize;
    std::size_t text = 0;
    const std::string& name = query.name;
    for (;;) {
        const std::uint8_t length = packet[pos++];
        if (length == 0) break;
        if (text != 0) check(name[text++] == '.');
        for (std::size_t i = 0; i < length; ++i) {
            std::uint8_t byte = packet[pos++];
            if (byte >= 'A' && byte <= 'Z') byte = static_cast<std::uint8_t>(byte - 'A' + 'a');
            check(text < name.size() && static_cast<std::uint8_t>(name[text++]) == byte);
        }
    }
    check(text == name.size());
    check(pos + 4 == query.question_end);
}

void check_truncation(std::vector<std::uint8_t>& response, std::size_t limit) {
    const std::size_t before = response.size();
    const bool changed = truncate_for_udp(response, limit);
    check(changed == (before > limit));
    if (!changed) return;
    check(response.size() <= std::max<std::size_t>(limit, kHeaderSize));
    if (!response.empty()) {
        check(response.size() >= kHeaderSize);
        check((response[kFlagsOffset] & (header_flag::tc >> 8)) != 0);
        check(response[kAncountOffset] == 0 && response[kAncountOffset + 1] == 0);
    }
}

void check_accepted_query(std::span<const std::uint8_t> packet, const Query& query,
                          std::vector<std::uint8_t>& out, std::uint8_t knob) {
    check(query.name.size() <= kMaxDomainTextLength);
    check(query.name.empty() || normalize_domain(query.name) == query.name);
    check(query.opcode == kOpcodeQuery && (query.flags & header_flag::qr) == 0);
    check(query.question_end >= kHeaderSize + 5 && query.question_end <= packet.size());
    check(query.edns_udp_size >= kMinUdpPayload);
    check(query.has_edns || query.edns_udp_size == kMinUdpPayload);
    check_name_matches_wire(packet, query);

    // Between 0 and 63 addresses of both families, enough to need truncation.
    std::vector<IpAddress> addresses;
    for (unsigned i = 0; i < (knob & 0x3F); ++i) {
        if (i % 3 == 2) {
            std::array<std::uint8_t, 16> v6{0xfd};
            v6[15] = static_cast<std::uint8_t>(i);
            addresses.push_back(IpAddress::from_v6(v6));
        } else {
            addresses.push_back(IpAddress::from_v4(0xC6120000u + i));
        }
    }
    check(write_address_answer(packet, query, addresses, 1, out));
    check_answer(out, packet, query, LDNS_RCODE_NOERROR,
                 static_cast<std::uint16_t>(addresses.size()));
    std::vector<std::uint8_t> big = out;
    check_truncation(big, query.edns_udp_size);
    std::vector<std::uint8_t> small = out;
    check_truncation(small, knob);

    const std::pair<Rcode, ldns_pkt_rcode> empties[] = {{Rcode::noerror, LDNS_RCODE_NOERROR},
                                                        {Rcode::servfail, LDNS_RCODE_SERVFAIL},
                                                        {Rcode::nxdomain, LDNS_RCODE_NXDOMAIN},
                                                        {Rcode::refused, LDNS_RCODE_REFUSED}};
    for (const auto& [rcode, expected] : empties) {
        check(write_empty_answer(packet, query, rcode, out));
        check_answer(out, packet, query, expected, 0);
    }

    // Any name the parser accepts can be written back as a PTR target.
    check(write_ptr_answer(packet, query, query.name, 60, out));
    check_answer(out, packet, query, LDNS_RCODE_NOERROR, 1);

    if (auto address = parse_reverse_name(query.name)) {
        check(make_reverse_name(*address) == query.name);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Reused across inputs, as the server reuses them across queries.
    static ParseResult result;
    static std::vector<std::uint8_t> out;
    const std::span<const std::uint8_t> packet(data, size);
    const std::uint8_t knob = size > 0 ? data[size - 1] : 0;

    parse_query(packet, result);
    check(result.reason != nullptr);
    check((result.verdict == QueryVerdict::ok) == (result.reason[0] == '\0'));
    if (size < kHeaderSize) check(result.verdict == QueryVerdict::drop);

    const bool wrote_error = write_error(packet, Rcode::formerr, out);
    check(wrote_error == (size >= kHeaderSize));
    if (wrote_error) {
        LdnsPacket parsed(out);
        check(parsed.pkt != nullptr);
        check(ldns_pkt_id(parsed.pkt) == result.query.id);
        check(ldns_pkt_get_opcode(parsed.pkt) == result.query.opcode);
        check(ldns_pkt_get_rcode(parsed.pkt) == LDNS_RCODE_FORMERR);
        check(ldns_pkt_qr(parsed.pkt));
    } else {
        check(out.empty());
    }

    if (result.verdict == QueryVerdict::ok) {
        check_accepted_query(packet, result.query, out, knob);
    } else {
        check(result.query.name.empty());
    }

    // The raw input as if it were a forwarded answer: truncation must stay in bounds.
    std::vector<std::uint8_t> forwarded(data, data + size);
    check_truncation(forwarded, knob * 4u);
    return 0;
}

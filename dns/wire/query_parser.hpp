// Validation of every DNS query that reaches shunt's server, before anything else reads
// it. Hostile or broken packets end here as FORMERR, NOTIMP or silence; what passes is
// a single, well-formed question with at most one well-formed OPT record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace shunt::dns {

enum class QueryVerdict {
    ok,       // answer it
    formerr,  // reply FORMERR (header only, see write_error)
    notimp,   // reply NOTIMP: an opcode other than QUERY
    drop,     // send nothing: too short to reply to, or a response (no reflection loops)
};

struct Query {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;  // the whole flags word of the header
    bool recursion_desired = false;
    std::uint8_t opcode = 0;
    std::string name;  // normalised: ASCII lower case, no trailing dot; "" for the root
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    std::size_t question_end = 0;  // offset just past QTYPE/QCLASS in the packet
    bool has_edns = false;
    // The requestor's UDP payload size, at least 512; 512 without EDNS, so it can be
    // used as the UDP response limit either way.
    std::uint16_t edns_udp_size = 512;
    bool dnssec_ok = false;
    // EDNS version from the OPT record (RFC 6891 wants BADVERS for anything but 0).
    std::uint8_t edns_version = 0;
};

struct ParseResult {
    QueryVerdict verdict = QueryVerdict::drop;
    // id, flags, recursion_desired and opcode are filled whenever the packet has a
    // header; the rest only when the verdict is ok.
    Query query;
    const char* reason = "";  // static string for logs; "" when ok
};

// Never modifies, and never reads outside, `packet`.
ParseResult parse_query(std::span<const std::uint8_t> packet);

// The same, reusing `result` (its name keeps its capacity: no heap allocation per query
// once a long name has been seen).
void parse_query(std::span<const std::uint8_t> packet, ParseResult& result);

}  // namespace shunt::dns

// Crafted DNS query packets, malformed and well-formed, shared by the parser's unit
// tests and the server-level tests that send the same bytes over UDP and TCP.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/wire/query_parser.hpp"

namespace shunt::test {

struct MalformedCase {
    std::string name;  // what is wrong, for test output
    std::vector<std::uint8_t> bytes;
    // What parse_query must say. For a server: formerr -> a FORMERR reply, notimp -> a
    // NOTIMP reply, drop -> no reply at all.
    dns::QueryVerdict expected;
};

// At least 25 packets, each broken in one way (or a response / unsupported opcode).
const std::vector<MalformedCase>& malformed_queries();

struct QueryOptions {
    std::uint16_t id = 0x1234;
    bool recursion_desired = true;
    bool edns = false;
    bool dnssec_ok = false;
    std::uint16_t udp_size = 1232;
};

// A well-formed query for `name` ("" or "." is the root; labels are split on '.' and
// copied as they are, case included), class IN.
std::vector<std::uint8_t> make_query(std::string_view name, std::uint16_t qtype,
                                     const QueryOptions& options = {});

// `name` on the wire: length-prefixed labels and the root terminator, no checks (so
// tests can build over-long names).
std::vector<std::uint8_t> encode_wire_name(std::string_view name);

}  // namespace shunt::test

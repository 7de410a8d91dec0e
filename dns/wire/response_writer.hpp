// Responses written straight into a caller-owned buffer, without ldns and without heap
// allocation once the buffer has grown: this is the fake-IP hot path.
//
// Every writer clears `out` first and echoes what the query asked for: same id and
// opcode, RD and CD copied, QR and RA set, the question copied byte for byte (so a
// client's 0x20 case randomisation survives), and an OPT RR advertising 1232 bytes
// (DO echoed) when the query had one. `packet` and `query` must be a packet and the
// result parse_query gave for it with verdict ok; writers return false, leaving `out`
// empty, when they do not fit together.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dns/wire/query_parser.hpp"
#include "dns/wire/reverse_name.hpp"
#include "dns/wire/wire_format.hpp"
#include "net/ip_address.hpp"

namespace shunt::dns {

// NOERROR with one A record per IPv4 address and one AAAA record per IPv6 address
// (the caller picks the family that matches QTYPE), each owned by the question name.
bool write_address_answer(std::span<const std::uint8_t> packet, const Query& query,
                          std::span<const IpAddress> addresses, std::uint32_t ttl,
                          std::vector<std::uint8_t>& out);

// No answer records: NODATA with Rcode::noerror, or SERVFAIL, NXDOMAIN, REFUSED.
bool write_empty_answer(std::span<const std::uint8_t> packet, const Query& query, Rcode rcode,
                        std::vector<std::uint8_t>& out);

// RFC 6891 6.1.3: a query with an EDNS version above 0 gets BADVERS (extended RCODE
// 16) and an OPT record announcing version 0. False when the query has no EDNS.
bool write_badvers(std::span<const std::uint8_t> packet, const Query& query,
                   std::vector<std::uint8_t>& out);

// One PTR record pointing at `name` (text form, optional trailing dot, "" or "." for
// the root). Also false when `name` has an empty label, a label over 63 bytes or is
// over 255 bytes on the wire.
bool write_ptr_answer(std::span<const std::uint8_t> packet, const Query& query,
                      std::string_view name, std::uint32_t ttl, std::vector<std::uint8_t>& out);

// Header-only reply (FORMERR, NOTIMP) for a packet that did not parse: id, opcode and RD
// echoed, QR and RA set, all counts 0. False, with `out` empty, when `packet` is shorter
// than a header (nothing can be sent).
bool write_error(std::span<const std::uint8_t> packet, Rcode rcode, std::vector<std::uint8_t>& out);

// For forwarded answers over UDP (RFC 1035 4.2.1, RFC 7766 and RFC 6891 7): when
// `response` is longer than `limit`, cuts it to header + question with TC=1 and the
// counts fixed; an OPT record in it is kept (without options) when it fits. If even the
// question does not fit, the header alone is kept, with QDCOUNT 0. A response shorter
// than a header cannot be a DNS message and is emptied. Returns true when it changed
// `response`. The result is never longer than max(limit, 12).
bool truncate_for_udp(std::vector<std::uint8_t>& response, std::size_t limit);

// Overwrites the id of a message (e.g. a cached or forwarded answer going back to the
// client that asked). No-op on a span shorter than 2 bytes.
void set_id(std::span<std::uint8_t> message, std::uint16_t id);

}  // namespace shunt::dns

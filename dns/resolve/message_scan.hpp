// A bounds-checked, read-only scan of a DNS message (RFC 1035 §4): the header, the one
// question and where every resource record sits. The resolver and the answer cache use
// it to judge upstream answers (rcode, addresses, TTLs) and to patch TTLs in place.
//
// Names are skipped, never decompressed: a scan only needs to know where a name ends,
// which is either its zero-length label or its first compression pointer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dns/wire/wire_format.hpp"
#include "net/ip_address.hpp"

namespace shunt::dns {

// Values wire_format.hpp does not carry (yet).
inline constexpr std::uint16_t kTypeSoaRecord = 6;

enum class Section : std::uint8_t { answer, authority, additional };

struct ScannedRecord {
    Section section = Section::answer;
    std::uint16_t type = 0;
    std::uint16_t klass = 0;  // for OPT: the requestor's UDP payload size
    std::uint32_t ttl = 0;    // for OPT: extended rcode, version and flags
    std::size_t ttl_offset = 0;
    std::size_t rdata_offset = 0;
    std::uint16_t rdata_length = 0;
};

struct ScannedMessage {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::uint16_t answer_count = 0;
    // The question: [kHeaderSize, question_end) holds name, type and class.
    std::size_t question_end = kHeaderSize;
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    std::vector<ScannedRecord> records;    // every RR in message order, OPT included
    std::optional<std::size_t> opt_index;  // index of the OPT record in `records`

    bool is_response() const { return flags & header_flag::qr; }
    bool truncated() const { return flags & header_flag::tc; }
    // The full response code, with the upper bits an OPT record carries (RFC 6891).
    unsigned rcode() const;
    // The EDNS record, or null when the message has none.
    const ScannedRecord* opt() const { return opt_index ? &records[*opt_index] : nullptr; }
    bool dnssec_ok() const { return opt() && (opt()->ttl & kOptDnssecOk); }
};

// Scans a whole message with exactly one question. nullopt when anything is out of
// bounds or malformed (label types 0x40/0x80, more than one OPT, trailing garbage is
// tolerated as some servers pad).
std::optional<ScannedMessage> scan_message(std::span<const std::uint8_t> wire);

// Scans only the header and the question; for queries whose other sections are not
// trusted.
std::optional<ScannedMessage> scan_question(std::span<const std::uint8_t> wire);

// A and AAAA records of class IN in the answer section, in order (CNAME chains are
// followed by simply taking every address the answer carries).
std::vector<IpAddress> scanned_addresses(std::span<const std::uint8_t> wire,
                                         const ScannedMessage& message);

// scan_message + scanned_addresses; empty when the message does not scan.
std::vector<IpAddress> answer_addresses(std::span<const std::uint8_t> wire);

}  // namespace shunt::dns

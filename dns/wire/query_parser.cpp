#include "dns/wire/query_parser.hpp"

#include <algorithm>
#include <array>

#include "dns/wire/wire_format.hpp"

namespace shunt::dns {

namespace {

// Outcome of one step; `reason` is null on success.
struct Step {
    const char* reason = nullptr;
    explicit operator bool() const { return reason == nullptr; }
};

constexpr Step fail(const char* reason) {
    return Step{reason};
}

// A label byte must survive the round trip through our text form: printable ASCII
// other than space, and no '.', which the text form uses as the separator. The table
// maps each such byte to its lower-case form and every other byte to 0, so the hot loop
// does one load per byte.
constexpr std::array<char, 256> make_label_byte_table() {
    std::array<char, 256> table{};
    for (int byte = 0x21; byte < 0x7f; ++byte) {
        if (byte == '.') continue;
        table[byte] = static_cast<char>(byte >= 'A' && byte <= 'Z' ? byte - 'A' + 'a' : byte);
    }
    return table;
}
constexpr std::array<char, 256> kLabelByte = make_label_byte_table();

// Reads the question name at `pos` into `name` (normalised) and moves `pos` past it.
// Compression is refused outright: a question is the first name of a message, so a
// pointer can only point at itself or forward into bytes that are not a name.
Step read_question_name(std::span<const std::uint8_t> packet, std::size_t& pos, std::string& name) {
    // The text is built on the stack and copied into `name` once: a byte-wise
    // push_back costs more than the whole rest of the parse.
    char text[kMaxWireNameLength];
    std::size_t text_length = 0;
    std::size_t wire_length = 0;
    for (;;) {
        if (pos >= packet.size()) return fail("question name runs past the end of the packet");
        const std::uint8_t length = packet[pos];
        if ((length & 0xC0) == 0xC0) return fail("compression pointer in the question name");
        // 0x40 and 0x80 are the obsolete extended label types; they also catch lengths
        // of 64 and more, since a plain label's length fits in the low six bits.
        if ((length & 0xC0) != 0) return fail("label over 63 bytes or unknown label type");
        wire_length += 1 + length;
        if (wire_length > kMaxWireNameLength) return fail("question name over 255 bytes");
        ++pos;
        if (length == 0) break;
        if (packet.size() - pos < length) {
            return fail("question label runs past the end of the packet");
        }
        // Never overflows: every label adds at most 1 + length characters of text for
        // its 1 + length bytes of wire, and the wire length is at most 255.
        if (text_length != 0) text[text_length++] = '.';
        const std::uint8_t* label = packet.data() + pos;
        char all_valid = 1;  // stays 1 while every byte maps to a character
        for (std::size_t i = 0; i < length; ++i) {
            const char c = kLabelByte[label[i]];
            all_valid = static_cast<char>(all_valid & (c != 0));
            text[text_length + i] = c;
        }
        if (!all_valid) return fail("label byte outside printable ASCII, a space or a dot");
        text_length += length;
        pos += length;
    }
    name.assign(text, text_length);
    return {};
}

// RFC 6891 section 6.1: owner "." (a single zero byte), TYPE 41, CLASS = payload size,
// TTL = extended RCODE, version, DO and Z flags; RDATA a sequence of options.
Step read_opt_record(std::span<const std::uint8_t> packet, std::size_t& pos, Query& query) {
    constexpr std::size_t kFixedPart = 1 + 2 + 2 + 4 + 2;  // owner .. RDLENGTH
    if (pos >= packet.size()) return fail("ARCOUNT is 1 but the additional record is missing");
    if (packet[pos] != 0) return fail("additional record does not have the root as owner");
    if (packet.size() - pos < kFixedPart) return fail("additional record is truncated");
    const std::uint8_t* p = packet.data() + pos + 1;
    if (read_u16(p) != kTypeOpt) return fail("additional record is not an OPT record");
    const std::uint16_t payload = read_u16(p + 2);
    const std::uint32_t ttl = read_u32(p + 4);
    const std::uint16_t rdlength = read_u16(p + 8);
    pos += kFixedPart;
    if (packet.size() - pos < rdlength) return fail("OPT RDATA runs past the end of the packet");

    // Each option is CODE(2) LENGTH(2) DATA; they must tile RDATA exactly.
    const std::size_t rdata_end = pos + rdlength;
    std::size_t option = pos;
    while (option < rdata_end) {
        if (rdata_end - option < 4) return fail("truncated EDNS option header");
        const std::uint16_t option_length = read_u16(packet.data() + option + 2);
        option += 4;
        if (rdata_end - option < option_length) return fail("EDNS option runs past OPT RDATA");
        option += option_length;
    }
    pos = rdata_end;

    query.has_edns = true;
    query.edns_udp_size = std::max(payload, kMinUdpPayload);
    query.edns_version = static_cast<std::uint8_t>(ttl >> 16);
    query.dnssec_ok = (ttl & kOptDnssecOk) != 0;
    return {};
}

void reset(Query& query) {
    std::string name = std::move(query.name);
    name.clear();
    query = Query{};
    query.name = std::move(name);
}

}  // namespace

void parse_query(std::span<const std::uint8_t> packet, ParseResult& result) {
    Query& query = result.query;
    reset(query);
    auto finish = [&](QueryVerdict verdict, const char* reason) {
        result.verdict = verdict;
        result.reason = reason;
        if (verdict != QueryVerdict::ok) query.name.clear();
    };

    if (packet.size() < kHeaderSize) return finish(QueryVerdict::drop, "shorter than a DNS header");
    const std::uint8_t* header = packet.data();
    query.id = read_u16(header + kIdOffset);
    query.flags = read_u16(header + kFlagsOffset);
    query.opcode = static_cast<std::uint8_t>((query.flags & header_flag::opcode_mask) >>
                                             header_flag::opcode_shift);
    query.recursion_desired = (query.flags & header_flag::rd) != 0;

    if (query.flags & header_flag::qr) return finish(QueryVerdict::drop, "QR set: a response");
    if (query.opcode != kOpcodeQuery) return finish(QueryVerdict::notimp, "opcode is not QUERY");
    if (read_u16(header + kQdcountOffset) != 1) {
        return finish(QueryVerdict::formerr, "QDCOUNT is not 1");
    }
    if (read_u16(header + kAncountOffset) != 0 || read_u16(header + kNscountOffset) != 0) {
        return finish(QueryVerdict::formerr, "answer or authority records in a query");
    }
    const std::uint16_t arcount = read_u16(header + kArcountOffset);
    if (arcount > 1) return finish(QueryVerdict::formerr, "more than one additional record");

    std::size_t pos = kHeaderSize;
    if (Step step = read_question_name(packet, pos, query.name); !step) {
        return finish(QueryVerdict::formerr, step.reason);
    }
    if (packet.size() - pos < 4) return finish(QueryVerdict::formerr, "QTYPE or QCLASS missing");
    query.qtype = read_u16(packet.data() + pos);
    query.qclass = read_u16(packet.data() + pos + 2);
    pos += 4;
    query.question_end = pos;

    if (arcount == 1) {
        if (Step step = read_opt_record(packet, pos, query); !step) {
            return finish(QueryVerdict::formerr, step.reason);
        }
    }
    if (pos != packet.size()) {
        return finish(QueryVerdict::formerr, "trailing bytes after the last record");
    }
    finish(QueryVerdict::ok, "");
}

ParseResult parse_query(std::span<const std::uint8_t> packet) {
    ParseResult result;
    parse_query(packet, result);
    return result;
}

}  // namespace shunt::dns

#include "dns/wire/response_writer.hpp"

#include <cstring>
#include <optional>

namespace shunt::dns {

namespace {

constexpr std::size_t kMaxMessageSize = 65535;
constexpr std::size_t kOptRecordSize = 11;  // root owner, TYPE, CLASS, TTL, RDLENGTH 0
// Owner pointer, TYPE, CLASS, TTL, RDLENGTH: everything in an answer but its RDATA.
constexpr std::size_t kAnswerFixedSize = 2 + 2 + 2 + 4 + 2;

// A question parse_query accepted is at least the root name and QTYPE/QCLASS.
bool question_fits(std::span<const std::uint8_t> packet, const Query& query) {
    return query.question_end >= kHeaderSize + 1 + 4 && query.question_end <= packet.size();
}

std::size_t opt_size(const Query& query) {
    return query.has_edns ? kOptRecordSize : 0;
}

void write_opt(std::uint8_t* p, std::uint16_t payload, std::uint32_t ttl) {
    p[0] = 0;  // root owner
    write_u16(p + 1, kTypeOpt);
    write_u16(p + 3, payload);
    write_u32(p + 5, ttl);
    write_u16(p + 9, 0);
}

// Sizes `out` for the whole response and writes header, question and (at the very end)
// the OPT record. Returns the offset where the answer records go.
std::size_t write_frame(std::span<const std::uint8_t> packet, const Query& query, Rcode rcode,
                        std::uint16_t ancount, std::size_t answers_size,
                        std::vector<std::uint8_t>& out) {
    const std::size_t question_size = query.question_end - kHeaderSize;
    out.resize(kHeaderSize + question_size + answers_size + opt_size(query));
    std::uint8_t* p = out.data();
    const auto echoed = static_cast<std::uint16_t>(
        query.flags & (header_flag::opcode_mask | header_flag::rd | header_flag::cd));
    write_u16(p + kIdOffset, query.id);
    write_u16(p + kFlagsOffset,
              static_cast<std::uint16_t>(header_flag::qr | header_flag::ra | echoed |
                                         static_cast<std::uint16_t>(rcode)));
    write_u16(p + kQdcountOffset, 1);
    write_u16(p + kAncountOffset, ancount);
    write_u16(p + kNscountOffset, 0);
    write_u16(p + kArcountOffset, query.has_edns ? 1 : 0);
    std::memcpy(p + kHeaderSize, packet.data() + kHeaderSize, question_size);
    if (query.has_edns) {
        write_opt(p + out.size() - kOptRecordSize, kAdvertisedUdpPayload,
                  query.dnssec_ok ? kOptDnssecOk : 0);
    }
    return kHeaderSize + question_size;
}

std::uint8_t* write_answer_fixed(std::uint8_t* p, std::uint16_t type, std::uint32_t ttl,
                                 std::uint16_t rdlength) {
    write_u16(p, kPointerToQuestionName);
    write_u16(p + 2, type);
    write_u16(p + 4, kClassIn);
    write_u32(p + 6, ttl);
    write_u16(p + 10, rdlength);
    return p + kAnswerFixedSize;
}

// Wire length of a text name, or nullopt when it cannot be encoded.
std::optional<std::size_t> wire_name_length(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty()) return 1;
    std::size_t total = 1;  // the root terminator
    std::size_t label = 0;
    for (char c : name) {
        if (c == '.') {
            if (label == 0) return std::nullopt;
            total += 1 + label;
            label = 0;
        } else if (++label > kMaxWireLabelLength) {
            return std::nullopt;
        }
    }
    if (label == 0) return std::nullopt;
    total += 1 + label;
    if (total > kMaxWireNameLength) return std::nullopt;
    return total;
}

// Encodes a name wire_name_length() accepted.
void encode_name(std::string_view name, std::uint8_t* p) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::uint8_t* length_byte = p++;
    *length_byte = 0;
    for (char c : name) {
        if (c == '.') {
            length_byte = p++;
            *length_byte = 0;
        } else {
            *p++ = static_cast<std::uint8_t>(c);
            ++*length_byte;
        }
    }
    if (!name.empty()) *p = 0;
}

// Moves `pos` past a name that may end in a compression pointer (forwarded answers).
bool skip_name(std::span<const std::uint8_t> message, std::size_t& pos) {
    for (;;) {
        if (pos >= message.size()) return false;
        const std::uint8_t length = message[pos];
        if ((length & 0xC0) == 0xC0) {
            // Pointers only point back; one pointing at or past itself is garbage.
            if (message.size() - pos < 2 || (read_u16(message.data() + pos) & 0x3FFF) >= pos) {
                return false;
            }
            pos += 2;
            return true;
        }
        if ((length & 0xC0) != 0) return false;
        ++pos;
        if (length == 0) return true;
        if (message.size() - pos < length) return false;
        pos += length;
    }
}

struct RecordView {
    std::uint16_t type;
    std::uint16_t rrclass;
    std::uint32_t ttl;
};

std::optional<RecordView> skip_record(std::span<const std::uint8_t> message, std::size_t& pos) {
    if (!skip_name(message, pos) || message.size() - pos < 10) return std::nullopt;
    const std::uint8_t* p = message.data() + pos;
    RecordView record{read_u16(p), read_u16(p + 2), read_u32(p + 4)};
    const std::uint16_t rdlength = read_u16(p + 8);
    pos += 10;
    if (message.size() - pos < rdlength) return std::nullopt;
    pos += rdlength;
    return record;
}

// The OPT record of a response, looked for in its additional section.
std::optional<RecordView> find_opt(std::span<const std::uint8_t> message, std::size_t pos) {
    const std::size_t before_additional = std::size_t{read_u16(message.data() + kAncountOffset)} +
                                          read_u16(message.data() + kNscountOffset);
    for (std::size_t i = 0; i < before_additional; ++i) {
        if (!skip_record(message, pos)) return std::nullopt;
    }
    const std::uint16_t arcount = read_u16(message.data() + kArcountOffset);
    for (std::size_t i = 0; i < arcount; ++i) {
        auto record = skip_record(message, pos);
        if (!record) return std::nullopt;
        if (record->type == kTypeOpt) return record;
    }
    return std::nullopt;
}

}  // namespace

bool write_address_answer(std::span<const std::uint8_t> packet, const Query& query,
                          std::span<const IpAddress> addresses, std::uint32_t ttl,
                          std::vector<std::uint8_t>& out) {
    out.clear();
    if (!question_fits(packet, query)) return false;
    std::size_t answers_size = 0;
    for (const IpAddress& address : addresses) {
        answers_size += kAnswerFixedSize + (address.is_v4() ? 4 : 16);
    }
    if (query.question_end + answers_size + opt_size(query) > kMaxMessageSize) return false;

    const auto ancount = static_cast<std::uint16_t>(addresses.size());
    const std::size_t answers_at =
        write_frame(packet, query, Rcode::noerror, ancount, answers_size, out);
    std::uint8_t* p = out.data() + answers_at;  // only after write_frame sized `out`
    for (const IpAddress& address : addresses) {
        if (address.is_v4()) {
            p = write_answer_fixed(p, kTypeA, ttl, 4);
            std::memcpy(p, address.bytes().data(), 4);
            p += 4;
        } else {
            p = write_answer_fixed(p, kTypeAaaa, ttl, 16);
            std::memcpy(p, address.bytes().data(), 16);
            p += 16;
        }
    }
    return true;
}

bool write_empty_answer(std::span<const std::uint8_t> packet, const Query& query, Rcode rcode,
                        std::vector<std::uint8_t>& out) {
    out.clear();
    if (!question_fits(packet, query)) return false;
    write_frame(packet, query, rcode, 0, 0, out);
    return true;
}

bool write_badvers(std::span<const std::uint8_t> packet, const Query& query,
                   std::vector<std::uint8_t>& out) {
    out.clear();
    if (!query.has_edns || !question_fits(packet, query)) return false;
    write_frame(packet, query, Rcode::noerror, 0, 0, out);
    // BADVERS is 16: the upper eight bits of the 12-bit RCODE live in the first byte of
    // the OPT record's TTL field; the version we speak (0) follows.
    out[out.size() - kOptRecordSize + 5] = 1;
    return true;
}

bool write_ptr_answer(std::span<const std::uint8_t> packet, const Query& query,
                      std::string_view name, std::uint32_t ttl, std::vector<std::uint8_t>& out) {
    out.clear();
    if (!question_fits(packet, query)) return false;
    const auto name_length = wire_name_length(name);
    if (!name_length) return false;
    const std::size_t answer_size = kAnswerFixedSize + *name_length;
    const std::size_t answer_at = write_frame(packet, query, Rcode::noerror, 1, answer_size, out);
    std::uint8_t* p = out.data() + answer_at;
    p = write_answer_fixed(p, kTypePtr, ttl, static_cast<std::uint16_t>(*name_length));
    encode_name(name, p);
    return true;
}

bool write_error(std::span<const std::uint8_t> packet, Rcode rcode,
                 std::vector<std::uint8_t>& out) {
    out.clear();
    if (packet.size() < kHeaderSize) return false;
    out.resize(kHeaderSize);
    const std::uint16_t query_flags = read_u16(packet.data() + kFlagsOffset);
    const auto echoed =
        static_cast<std::uint16_t>(query_flags & (header_flag::opcode_mask | header_flag::rd));
    std::memcpy(out.data(), packet.data() + kIdOffset, 2);
    write_u16(out.data() + kFlagsOffset,
              static_cast<std::uint16_t>(header_flag::qr | header_flag::ra | echoed |
                                         static_cast<std::uint16_t>(rcode)));
    return true;  // counts stay 0 from resize()
}

bool truncate_for_udp(std::vector<std::uint8_t>& response, std::size_t limit) {
    if (response.size() <= limit) return false;
    if (response.size() < kHeaderSize) {
        response.clear();
        return true;
    }
    const std::span<const std::uint8_t> message(response);
    std::uint16_t qdcount = read_u16(message.data() + kQdcountOffset);
    std::size_t question_end = kHeaderSize;
    for (std::size_t i = 0; i < qdcount; ++i) {
        if (!skip_name(message, question_end) || message.size() - question_end < 4) {
            question_end = 0;
            break;
        }
        question_end += 4;
    }
    std::optional<RecordView> opt;
    if (question_end == 0 || question_end > limit) {
        // No question we can walk or keep: a header saying "truncated" still makes the
        // client retry over TCP.
        question_end = kHeaderSize;
        qdcount = 0;
    } else {
        opt = find_opt(message, question_end);
    }

    const bool keep_opt = opt && question_end + kOptRecordSize <= limit;
    response.resize(question_end + (keep_opt ? kOptRecordSize : 0));
    std::uint8_t* p = response.data();
    if (keep_opt) write_opt(p + question_end, opt->rrclass, opt->ttl);
    write_u16(p + kFlagsOffset, read_u16(p + kFlagsOffset) | header_flag::tc);
    write_u16(p + kQdcountOffset, qdcount);
    write_u16(p + kAncountOffset, 0);
    write_u16(p + kNscountOffset, 0);
    write_u16(p + kArcountOffset, keep_opt ? 1 : 0);
    return true;
}

void set_id(std::span<std::uint8_t> message, std::uint16_t id) {
    if (message.size() < 2) return;
    write_u16(message.data() + kIdOffset, id);
}

}  // namespace shunt::dns

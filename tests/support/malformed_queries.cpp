#include "tests/support/malformed_queries.hpp"

#include <initializer_list>

namespace shunt::test {

namespace {

using Bytes = std::vector<std::uint8_t>;
using dns::QueryVerdict;

constexpr std::uint16_t kRd = 0x0100;
constexpr std::uint16_t kQr = 0x8000;

std::uint16_t opcode_flags(unsigned opcode) {
    return static_cast<std::uint16_t>(opcode << 11);
}

void put16(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

Bytes header(std::uint16_t flags = kRd, std::uint16_t qdcount = 1, std::uint16_t ancount = 0,
             std::uint16_t nscount = 0, std::uint16_t arcount = 0) {
    Bytes out;
    put16(out, 0xBEEF);
    put16(out, flags);
    put16(out, qdcount);
    put16(out, ancount);
    put16(out, nscount);
    put16(out, arcount);
    return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}

Bytes repeat(std::uint8_t byte, std::size_t count) {
    return Bytes(count, byte);
}

// QTYPE A, QCLASS IN.
const Bytes kTypeAClassIn = {0x00, 0x01, 0x00, 0x01};

Bytes question(std::string_view name) {
    return cat({encode_wire_name(name), kTypeAClassIn});
}

// An OPT RR: owner, TYPE 41, CLASS 1232, TTL 0, RDLENGTH and RDATA as given.
Bytes opt(std::uint8_t owner_byte, std::uint16_t rdlength, const Bytes& rdata) {
    Bytes out = {owner_byte};
    put16(out, 41);
    put16(out, 1232);
    out.insert(out.end(), {0, 0, 0, 0});
    put16(out, rdlength);
    out.insert(out.end(), rdata.begin(), rdata.end());
    return out;
}

// A record for "example.com" by pointer, as a client would never send it.
Bytes a_record() {
    return {0xC0, 0x0C, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
}

Bytes label(std::string_view text) {
    Bytes out = {static_cast<std::uint8_t>(text.size())};
    out.insert(out.end(), text.begin(), text.end());
    return out;
}

std::vector<MalformedCase> build_cases() {
    const Bytes good = cat({header(), question("example.com")});
    const Bytes label63(63, 'a');
    std::vector<MalformedCase> cases = {
        // Nothing to reply to, or must not be replied to.
        {"empty packet", {}, QueryVerdict::drop},
        {"1 byte", {0x12}, QueryVerdict::drop},
        {"11 bytes: header cut short", Bytes(good.begin(), good.begin() + 11), QueryVerdict::drop},
        {"QR set: a response", cat({header(kQr | kRd), question("example.com")}),
         QueryVerdict::drop},
        {"QR set with opcode UPDATE", cat({header(kQr | opcode_flags(5)), question("example.com")}),
         QueryVerdict::drop},
        // Opcodes other than QUERY.
        {"opcode IQUERY", cat({header(opcode_flags(1)), question("example.com")}),
         QueryVerdict::notimp},
        {"opcode STATUS", cat({header(opcode_flags(2) | kRd), question("example.com")}),
         QueryVerdict::notimp},
        {"opcode NOTIFY", cat({header(opcode_flags(4)), question("example.com")}),
         QueryVerdict::notimp},
        {"opcode UPDATE", cat({header(opcode_flags(5)), question("example.com")}),
         QueryVerdict::notimp},
        // Section counts.
        {"QDCOUNT 0, header only", header(kRd, 0), QueryVerdict::formerr},
        {"QDCOUNT 0 with a question", cat({header(kRd, 0), question("example.com")}),
         QueryVerdict::formerr},
        {"QDCOUNT 2 with two questions",
         cat({header(kRd, 2), question("example.com"), question("example.org")}),
         QueryVerdict::formerr},
        {"QDCOUNT 65535", cat({header(kRd, 65535), question("example.com")}),
         QueryVerdict::formerr},
        {"ANCOUNT 1", cat({header(kRd, 1, 1), question("example.com"), a_record()}),
         QueryVerdict::formerr},
        {"NSCOUNT 1", cat({header(kRd, 1, 0, 1), question("example.com"), a_record()}),
         QueryVerdict::formerr},
        {"ARCOUNT 2: two OPT records",
         cat({header(kRd, 1, 0, 0, 2), question("example.com"), opt(0, 0, {}), opt(0, 0, {})}),
         QueryVerdict::formerr},
        // Question name structure.
        {"compression self-pointer", cat({header(), {0xC0, 0x0C}, kTypeAClassIn}),
         QueryVerdict::formerr},
        {"compression pointer loop", cat({header(), {0xC0, 0x0E, 0xC0, 0x0C}, kTypeAClassIn}),
         QueryVerdict::formerr},
        {"compression pointer after a label",
         cat({header(), label("www"), {0xC0, 0x0C}, kTypeAClassIn}), QueryVerdict::formerr},
        {"label type bits 0x40", cat({header(), {0x41, 'a', 0x00}, kTypeAClassIn}),
         QueryVerdict::formerr},
        {"label type bits 0x80", cat({header(), {0x81, 'a', 0x00}, kTypeAClassIn}),
         QueryVerdict::formerr},
        {"64-byte label", cat({header(), {64}, repeat('a', 64), {0}, kTypeAClassIn}),
         QueryVerdict::formerr},
        {"name of 256 bytes on the wire",
         cat({header(),
              label(std::string(63, 'a')),
              label(std::string(63, 'b')),
              label(std::string(63, 'c')),
              label(std::string(62, 'd')),
              {0},
              kTypeAClassIn}),
         QueryVerdict::formerr},
        {"name of 321 bytes on the wire",
         cat({header(),
              label(std::string(63, 'a')),
              label(std::string(63, 'b')),
              label(std::string(63, 'c')),
              label(std::string(63, 'd')),
              label(std::string(63, 'e')),
              {0},
              kTypeAClassIn}),
         QueryVerdict::formerr},
        {"no question bytes at all", header(), QueryVerdict::formerr},
        {"missing name terminator", cat({header(), label("example"), label("com")}),
         QueryVerdict::formerr},
        {"label runs past the end", cat({header(), {10, 'a', 'b', 'c'}}), QueryVerdict::formerr},
        {"missing QTYPE", cat({header(), encode_wire_name("example.com")}), QueryVerdict::formerr},
        {"missing QCLASS", cat({header(), encode_wire_name("example.com"), {0x00, 0x01}}),
         QueryVerdict::formerr},
        {"half a QCLASS", cat({header(), encode_wire_name("example.com"), {0x00, 0x01, 0x00}}),
         QueryVerdict::formerr},
        // Label bytes our text form cannot carry.
        {"label with a dot", cat({header(), label("a.b"), label("com"), {0}, kTypeAClassIn}),
         QueryVerdict::formerr},
        {"label with a NUL byte",
         cat({header(), {3, 'a', 0, 'b'}, label("com"), {0}, kTypeAClassIn}),
         QueryVerdict::formerr},
        {"label with a space", cat({header(), label("a b"), {0}, kTypeAClassIn}),
         QueryVerdict::formerr},
        {"label with a UTF-8 byte", cat({header(), {2, 0xC3, 0xA9}, {0}, kTypeAClassIn}),
         QueryVerdict::formerr},
        {"label with DEL", cat({header(), {1, 0x7F}, {0}, kTypeAClassIn}), QueryVerdict::formerr},
        // Additional section.
        {"ARCOUNT 1 but no record", cat({header(kRd, 1, 0, 0, 1), question("example.com")}),
         QueryVerdict::formerr},
        {"additional record is an A record",
         cat({header(kRd, 1, 0, 0, 1), question("example.com"), a_record()}),
         QueryVerdict::formerr},
        {"root-owned additional record that is not OPT",
         cat({header(kRd, 1, 0, 0, 1),
              question("example.com"),
              {0, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1}}),
         QueryVerdict::formerr},
        {"OPT with a non-root owner",
         cat({header(kRd, 1, 0, 0, 1), question("example.com"), {1, 'x'}, opt(0, 0, {})}),
         QueryVerdict::formerr},
        {"OPT owner is a pointer",
         cat({header(kRd, 1, 0, 0, 1), question("example.com"), {0xC0}, opt(0x0C, 0, {})}),
         QueryVerdict::formerr},
        {"OPT fixed part cut short",
         cat({header(kRd, 1, 0, 0, 1), question("example.com"), {0x00, 0x00, 0x29, 0x04}}),
         QueryVerdict::formerr},
        {"OPT RDLENGTH past the end",
         cat({header(kRd, 1, 0, 0, 1), question("example.com"), opt(0, 40, {0, 10, 0, 2, 1, 2})}),
         QueryVerdict::formerr},
        {"EDNS option past OPT RDATA",
         cat({header(kRd, 1, 0, 0, 1), question("example.com"), opt(0, 6, {0, 10, 0, 8, 1, 2})}),
         QueryVerdict::formerr},
        {"EDNS option header cut short",
         cat({header(kRd, 1, 0, 0, 1), question("example.com"), opt(0, 2, {0, 10})}),
         QueryVerdict::formerr},
        // Bytes after the last record.
        {"trailing garbage after the question", cat({good, {0xDE, 0xAD}}), QueryVerdict::formerr},
        {"trailing garbage after OPT",
         cat({header(kRd, 1, 0, 0, 1), question("example.com"), opt(0, 0, {}), {0x00}}),
         QueryVerdict::formerr},
    };
    return cases;
}

}  // namespace

const std::vector<MalformedCase>& malformed_queries() {
    static const std::vector<MalformedCase> cases = build_cases();
    return cases;
}

std::vector<std::uint8_t> encode_wire_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    Bytes out;
    while (!name.empty()) {
        const std::size_t dot = name.find('.');
        const std::string_view text = name.substr(0, dot);
        out.push_back(static_cast<std::uint8_t>(text.size()));
        out.insert(out.end(), text.begin(), text.end());
        name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    }
    out.push_back(0);
    return out;
}

std::vector<std::uint8_t> make_query(std::string_view name, std::uint16_t qtype,
                                     const QueryOptions& options) {
    Bytes out;
    put16(out, options.id);
    put16(out, options.recursion_desired ? kRd : 0);
    put16(out, 1);
    put16(out, 0);
    put16(out, 0);
    put16(out, options.edns ? 1 : 0);
    const Bytes wire_name = encode_wire_name(name);
    out.insert(out.end(), wire_name.begin(), wire_name.end());
    put16(out, qtype);
    put16(out, 1);
    if (options.edns) {
        out.push_back(0);
        put16(out, 41);
        put16(out, options.udp_size);
        out.insert(out.end(), {0, 0, static_cast<std::uint8_t>(options.dnssec_ok ? 0x80 : 0), 0});
        put16(out, 0);
    }
    return out;
}

}  // namespace shunt::test

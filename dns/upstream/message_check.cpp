#include "dns/upstream/message_check.hpp"

#include <algorithm>
#include <optional>

#include "net/byte_order.hpp"

namespace shunt::dns::message {

namespace {

constexpr std::uint8_t kQrBit = 0x80;  // in byte 2
constexpr std::uint8_t kTcBit = 0x02;  // in byte 2
constexpr std::size_t kMaxWireName = 255;

// The question (name + type + class) starting right after the header, as a byte
// range. Compression pointers are refused: no sane server compresses the first name.
std::optional<std::span<const std::uint8_t>> first_question(std::span<const std::uint8_t> m) {
    std::size_t at = kHeaderSize;
    std::size_t name_length = 0;
    while (true) {
        if (at >= m.size()) return std::nullopt;
        std::uint8_t label = m[at];
        if (label & 0xC0) return std::nullopt;
        name_length += label + 1;
        if (name_length > kMaxWireName) return std::nullopt;
        at += label + 1u;
        if (label == 0) break;
    }
    if (at + 4 > m.size()) return std::nullopt;
    return m.subspan(kHeaderSize, at + 4 - kHeaderSize);
}

std::uint8_t lower(std::uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

// `a` and `b` are first_question() spans: the name, then type and class.
bool same_question(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    if (a.size() != b.size()) return false;
    // The name ignoring case: label length bytes are never letters, so lower-casing all
    // of it is harmless. Type and class must be equal byte for byte: lower-cased too, an
    // answer for type 97 (0x0061) passed for one to an HTTPS query (65, 0x0041).
    const std::size_t name_size = a.size() - 4;
    for (std::size_t i = 0; i < name_size; ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return std::equal(a.begin() + name_size, a.end(), b.begin() + name_size);
}

}  // namespace

std::uint16_t id(std::span<const std::uint8_t> message) {
    return message.size() >= 2 ? read_u16(message.data()) : 0;
}

void set_id(std::span<std::uint8_t> message, std::uint16_t value) {
    if (message.size() < 2) return;
    message[0] = static_cast<std::uint8_t>(value >> 8);
    message[1] = static_cast<std::uint8_t>(value & 0xff);
}

bool is_truncated(std::span<const std::uint8_t> message) {
    return message.size() >= kHeaderSize && (message[2] & kTcBit);
}

bool is_valid_query(std::span<const std::uint8_t> query) {
    return query.size() >= kHeaderSize && read_u16(query.data() + 4) == 1 && first_question(query);
}

AnswerCheck check_answer(std::span<const std::uint8_t> query,
                         std::span<const std::uint8_t> answer) {
    if (answer.size() < kHeaderSize || !(answer[2] & kQrBit)) return AnswerCheck::malformed;
    if (id(answer) != id(query)) return AnswerCheck::mismatch;
    auto question_count = read_u16(answer.data() + 4);
    if (question_count == 0) {
        auto rcode = answer[3] & 0x0F;
        bool error_answer = rcode == 1 || rcode == 2 || rcode == 4 || rcode == 5;
        return error_answer ? AnswerCheck::ok : AnswerCheck::mismatch;
    }
    if (question_count != 1) return AnswerCheck::mismatch;
    auto asked = first_question(query);
    auto answered = first_question(answer);
    if (!answered) return AnswerCheck::malformed;
    if (!asked || !same_question(*asked, *answered)) return AnswerCheck::mismatch;
    return AnswerCheck::ok;
}

std::vector<std::uint8_t> make_query(std::uint16_t query_id, std::string_view name,
                                     std::uint16_t type) {
    std::vector<std::uint8_t> out = {static_cast<std::uint8_t>(query_id >> 8),
                                     static_cast<std::uint8_t>(query_id & 0xff),
                                     0x01,
                                     0x00,  // RD
                                     0,
                                     1,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0};
    if (name.ends_with('.')) name.remove_suffix(1);
    while (!name.empty()) {
        auto dot = name.find('.');
        auto label = name.substr(0, dot);
        if (label.empty() || label.size() > 63) return {};
        out.push_back(static_cast<std::uint8_t>(label.size()));
        out.insert(out.end(), label.begin(), label.end());
        name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
    }
    out.push_back(0);
    if (out.size() - kHeaderSize > kMaxWireName) return {};
    for (std::uint16_t v : {type, std::uint16_t{1}}) {
        out.push_back(static_cast<std::uint8_t>(v >> 8));
        out.push_back(static_cast<std::uint8_t>(v & 0xff));
    }
    return out;
}

}  // namespace shunt::dns::message

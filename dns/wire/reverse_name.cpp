#include "dns/wire/reverse_name.hpp"

#include <array>
#include <cstdint>

namespace shunt::dns {

namespace {

constexpr std::string_view kV4Suffix = ".in-addr.arpa";
constexpr std::string_view kV6Suffix = ".ip6.arpa";
constexpr char kHexDigits[] = "0123456789abcdef";

char to_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Case-insensitive "ends with"; removes the suffix from `name` on a match.
bool strip_suffix(std::string_view& name, std::string_view suffix) {
    if (name.size() < suffix.size()) return false;
    const std::string_view tail = name.substr(name.size() - suffix.size());
    for (std::size_t i = 0; i < suffix.size(); ++i) {
        if (to_lower(tail[i]) != suffix[i]) return false;
    }
    name.remove_suffix(suffix.size());
    return true;
}

// Splits off the last label of `labels` ("a.b.c" -> "c", leaving "a.b"; the first
// label leaves "").
std::string_view pop_last_label(std::string_view& labels) {
    const std::size_t dot = labels.rfind('.');
    if (dot == std::string_view::npos) {
        const std::string_view last = labels;
        labels = {};
        return last;
    }
    const std::string_view last = labels.substr(dot + 1);
    labels = labels.substr(0, dot);
    return last;
}

// "0".."255" without leading zeros.
std::optional<std::uint8_t> parse_octet(std::string_view text) {
    if (text.empty() || text.size() > 3) return std::nullopt;
    if (text.size() > 1 && text[0] == '0') return std::nullopt;
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 255) return std::nullopt;
    return static_cast<std::uint8_t>(value);
}

std::optional<std::uint8_t> parse_nibble(std::string_view text) {
    if (text.size() != 1) return std::nullopt;
    const char c = to_lower(text[0]);
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    return std::nullopt;
}

// Labels are least significant first, so the last label is the first octet.
std::optional<IpAddress> parse_v4_labels(std::string_view labels) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        if (labels.empty()) return std::nullopt;
        auto octet = parse_octet(pop_last_label(labels));
        if (!octet) return std::nullopt;
        value = (value << 8) | *octet;
    }
    if (!labels.empty()) return std::nullopt;
    return IpAddress::from_v4(value);
}

std::optional<IpAddress> parse_v6_labels(std::string_view labels) {
    std::array<std::uint8_t, 16> bytes{};
    for (int i = 0; i < 32; ++i) {
        if (labels.empty()) return std::nullopt;
        auto nibble = parse_nibble(pop_last_label(labels));
        if (!nibble) return std::nullopt;
        bytes[i / 2] =
            static_cast<std::uint8_t>(bytes[i / 2] | (i % 2 == 0 ? *nibble << 4 : *nibble));
    }
    if (!labels.empty()) return std::nullopt;
    return IpAddress::from_v6(bytes);
}

}  // namespace

std::optional<IpAddress> parse_reverse_name(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (strip_suffix(name, kV4Suffix)) return parse_v4_labels(name);
    if (strip_suffix(name, kV6Suffix)) return parse_v6_labels(name);
    return std::nullopt;
}

std::string make_reverse_name(const IpAddress& address) {
    std::string name;
    const auto& bytes = address.bytes();
    if (address.is_v4()) {
        name.reserve(29);
        for (int i = 3; i >= 0; --i) {
            name += std::to_string(bytes[i]);
            name.push_back('.');
        }
        name += kV4Suffix.substr(1);
        return name;
    }
    name.reserve(72);
    for (int i = 15; i >= 0; --i) {
        name.push_back(kHexDigits[bytes[i] & 0x0F]);
        name.push_back('.');
        name.push_back(kHexDigits[bytes[i] >> 4]);
        name.push_back('.');
    }
    name += kV6Suffix.substr(1);
    return name;
}

}  // namespace shunt::dns

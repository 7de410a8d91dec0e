#include "rules/parse/rule_values.hpp"

#include <charconv>

#include "net/domain_name.hpp"

namespace shunt::rules {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

// Trims `text`, moving `offset` along with its start.
std::string_view trim(std::string_view text, std::size_t& offset) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
        ++offset;
    }
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

bool parse_port(std::string_view text, std::uint16_t& out) {
    unsigned number = 0;
    if (text.empty() || text.size() > 5) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc{} || end != text.data() + text.size() || number > 65535) return false;
    out = static_cast<std::uint16_t>(number);
    return true;
}

}  // namespace

std::size_t first_non_ascii(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i)
        if (static_cast<unsigned char>(text[i]) >= 0x80) return i;
    return std::string_view::npos;
}

std::optional<std::string> normalize_rule_domain(std::string_view text, ValueError& error) {
    if (auto bad = first_non_ascii(text); bad != std::string_view::npos) {
        error = {bad, "non-ASCII domain: write internationalised names in punycode (xn--...)"};
        return std::nullopt;
    }
    auto normalized = normalize_domain(text);
    if (!normalized) error = {0, "invalid domain '" + std::string(text) + "'"};
    return normalized;
}

std::optional<Prefix> parse_cidr(std::string_view text) {
    auto prefix = Prefix::parse(text);
    if (!prefix) return std::nullopt;
    // Connections arrive with IPv4 addresses unmapped, so "::ffff:a.b.c.d/n" would never
    // match as written: it means the IPv4 prefix a.b.c.d/(n-96).
    const IpAddress base = prefix->base().unmapped();
    if (base.is_v6() || prefix->length() < 96) return prefix;
    return Prefix(base, prefix->length() - 96);
}

std::optional<PortList> parse_port_list(std::string_view text, ValueError& error) {
    PortList ports;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] != '/') continue;
        std::size_t item_offset = start;
        std::string_view item = trim(text.substr(start, i - start), item_offset);
        start = i + 1;
        if (item.empty()) {
            error = {item_offset, "empty port in list"};
            return std::nullopt;
        }
        auto dash = item.find('-');
        std::size_t first_offset = item_offset;
        std::string_view first = trim(item.substr(0, dash), first_offset);
        PortRange range;
        if (!parse_port(first, range.first)) {
            error = {item_offset, "invalid port '" + std::string(item) + "' (0-65535)"};
            return std::nullopt;
        }
        range.last = range.first;
        if (dash != std::string_view::npos) {
            std::size_t second_offset = item_offset + dash + 1;
            std::string_view second = trim(item.substr(dash + 1), second_offset);
            if (!parse_port(second, range.last)) {
                error = {second_offset, "invalid port '" + std::string(second) + "' (0-65535)"};
                return std::nullopt;
            }
            if (range.last < range.first) {
                error = {item_offset, "inverted port range '" + std::string(item) +
                                          "': write the lower port first"};
                return std::nullopt;
            }
        }
        ports.push_back(range);
    }
    return ports;
}

}  // namespace shunt::rules

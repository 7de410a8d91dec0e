#include "api/request_target.hpp"

namespace shunt::api {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int high = hex_digit(text[i + 1]);
            const int low = hex_digit(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<std::string> RequestTarget::parameter(std::string_view name) const {
    for (const auto& [key, value] : query)
        if (key == name) return value;
    return std::nullopt;
}

std::optional<RequestTarget> RequestTarget::parse(std::string_view target) {
    if (target.empty() || target.front() != '/') return std::nullopt;
    RequestTarget out;
    const auto question = target.find('?');
    const std::string_view path = target.substr(0, question);
    // Segments of the raw path, each decoded once.
    std::size_t start = 1;
    for (;;) {
        const auto slash = path.find('/', start);
        auto segment = percent_decode(path.substr(start, slash - start), false);
        if (!segment) return std::nullopt;
        out.segments.push_back(std::move(*segment));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    if (question == std::string_view::npos) return out;
    std::string_view rest = target.substr(question + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto equals = pair.find('=');
        auto key = percent_decode(pair.substr(0, equals), true);
        auto value = percent_decode(
            equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1), true);
        if (!key || !value) return std::nullopt;
        out.query.emplace_back(std::move(*key), std::move(*value));
    }
    return out;
}

}  // namespace shunt::api

#include "net/domain_name.hpp"

namespace shunt {

std::optional<std::string> normalize_domain(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > kMaxDomainTextLength) return std::nullopt;
    std::string out;
    out.reserve(name.size());
    std::size_t label = 0;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (c == '.') {
            if (label == 0) return std::nullopt;
            label = 0;
            out.push_back('.');
            continue;
        }
        // Printable ASCII other than space; IDNs arrive in punycode.
        if (u <= 0x20 || u >= 0x7f) return std::nullopt;
        if (++label > kMaxLabelLength) return std::nullopt;
        out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    if (label == 0) return std::nullopt;
    return out;
}

bool domain_has_suffix(std::string_view name, std::string_view suffix) {
    if (name.size() < suffix.size()) return false;
    if (name.substr(name.size() - suffix.size()) != suffix) return false;
    return name.size() == suffix.size() || name[name.size() - suffix.size() - 1] == '.';
}

}  // namespace shunt

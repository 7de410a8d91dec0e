#include "dns/resolve/ip_set.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace shunt::dns {

namespace {

using u128 = unsigned __int128;

// Sorts ranges and merges the ones that overlap or touch, so each address belongs to
// at most one range and a binary search on `first` finds its only candidate.
template <typename T>
void sort_and_merge(std::vector<std::pair<T, T>>& ranges) {
    std::sort(ranges.begin(), ranges.end());
    std::vector<std::pair<T, T>> merged;
    for (const auto& range : ranges) {
        // `last + 1` would overflow for a range ending at the top of the space; such a
        // range absorbs everything after it anyway.
        if (!merged.empty() && (merged.back().second == static_cast<T>(~T{0}) ||
                                range.first <= merged.back().second + 1)) {
            merged.back().second = std::max(merged.back().second, range.second);
            continue;
        }
        merged.push_back(range);
    }
    ranges = std::move(merged);
}

template <typename T>
bool ranges_contain(const std::vector<std::pair<T, T>>& ranges, T value) {
    // First range starting after `value`; the one before it is the only candidate.
    auto it = std::upper_bound(ranges.begin(), ranges.end(), value,
                               [](T v, const std::pair<T, T>& r) { return v < r.first; });
    if (it == ranges.begin()) return false;
    --it;
    return value <= it->second;
}

std::string_view trim(std::string_view s) {
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

IpSet::IpSet(const std::vector<Prefix>& prefixes) {
    for (const auto& prefix : prefixes) {
        if (prefix.family() == IpAddress::Family::v4) {
            std::uint32_t first = prefix.base().v4();
            // Shifting by the full width is undefined, hence the /32 case.
            std::uint32_t host_mask =
                prefix.length() == 32 ? 0 : (~std::uint32_t{0} >> prefix.length());
            v4_.emplace_back(first, first | host_mask);
        } else {
            u128 first = prefix.base().to_u128();
            u128 host_mask = prefix.length() == 128 ? u128{0} : (~u128{0} >> prefix.length());
            v6_.emplace_back(first, first | host_mask);
        }
    }
    sort_and_merge(v4_);
    sort_and_merge(v6_);
}

IpSet IpSet::parse(std::string_view text, std::string_view source) {
    std::vector<Prefix> prefixes;
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);

        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;
        auto prefix = Prefix::parse(line);
        if (!prefix) {
            std::ostringstream message;
            message << source << ":" << line_number << ": not a CIDR or IP address: \"" << line
                    << "\"";
            throw std::runtime_error(message.str());
        }
        prefixes.push_back(*prefix);
    }
    return IpSet(prefixes);
}

IpSet IpSet::load_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open the IP set file");
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) throw std::runtime_error(path + ": error while reading the IP set file");
    return parse(content.str(), path);
}

bool IpSet::contains(const IpAddress& address) const {
    if (address.is_v4()) return ranges_contain(v4_, address.v4());
    return ranges_contain(v6_, address.to_u128());
}

}  // namespace shunt::dns

#include "dns/resolve/ip_set.hpp"

#include <sstream>
#include <stdexcept>

#include "base/regular_file.hpp"

namespace shunt::dns {

namespace {

std::string_view trim(std::string_view s) {
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

IpSet::IpSet(const std::vector<Prefix>& prefixes)
    : table_(rules::IpPrefixTable::from_set(prefixes)), prefix_count_(prefixes.size()) {}

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
    std::string why;
    auto content = read_regular_file(path, kMaxConfiguredFileBytes, &why);
    if (!content) throw std::runtime_error(path + ": cannot read the IP set file: " + why);
    return parse(*content, path);
}

}  // namespace shunt::dns

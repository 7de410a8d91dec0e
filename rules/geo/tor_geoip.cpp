#include "rules/geo/tor_geoip.hpp"

#include <cctype>
#include <charconv>
#include <optional>

#include "base/regular_file.hpp"
#include "rules/match/ip_range.hpp"

namespace shunt::rules {

namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

std::optional<IpAddress> parse_endpoint(std::string_view field, IpAddress::Family family) {
    field = trim(field);
    if (family == IpAddress::Family::v6) {
        auto address = IpAddress::parse(field);
        if (!address || !address->is_v6()) return std::nullopt;
        return address;
    }
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (error != std::errc{} || end != field.data() + field.size() || field.empty() ||
        value > 0xffff'ffffull)
        return std::nullopt;
    return IpAddress::from_v4(static_cast<std::uint32_t>(value));
}

bool valid_country(std::string_view code) {
    if (code.empty() || code.size() > 3) return false;
    for (char c : code)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '?') return false;
    return true;
}

}  // namespace

TorGeoipError::TorGeoipError(std::string file, int line, const std::string& message)
    : std::runtime_error(file + ":" + std::to_string(line) + ": " + message),
      file_(std::move(file)),
      line_(line) {}

const std::vector<Prefix>& TorGeoipDatabase::country(std::string_view code) const {
    static const std::vector<Prefix> kNone;
    auto it = prefixes_by_country.find(code);
    return it == prefixes_by_country.end() ? kNone : it->second;
}

std::size_t TorGeoipDatabase::prefix_count() const {
    std::size_t count = 0;
    for (const auto& [code, prefixes] : prefixes_by_country) count += prefixes.size();
    return count;
}

void parse_tor_geoip(std::string_view text, IpAddress::Family family, const std::string& file_name,
                     TorGeoipDatabase& into) {
    const char* what = family == IpAddress::Family::v4 ? "IPv4 integer" : "IPv6 address";
    int line_number = 0;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        std::string_view line = trim(text.substr(0, newline));
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        ++line_number;
        if (line.empty() || line.front() == '#') continue;

        const auto comma1 = line.find(',');
        const auto comma2 = comma1 == std::string_view::npos ? comma1 : line.find(',', comma1 + 1);
        if (comma2 == std::string_view::npos ||
            line.find(',', comma2 + 1) != std::string_view::npos)
            throw TorGeoipError(file_name, line_number, "expected FROM,TO,COUNTRY");
        auto first = parse_endpoint(line.substr(0, comma1), family);
        if (!first)
            throw TorGeoipError(file_name, line_number, std::string("bad FROM: expected ") + what);
        auto last = parse_endpoint(line.substr(comma1 + 1, comma2 - comma1 - 1), family);
        if (!last)
            throw TorGeoipError(file_name, line_number, std::string("bad TO: expected ") + what);
        if (*last < *first) throw TorGeoipError(file_name, line_number, "TO is before FROM");
        const std::string_view code = trim(line.substr(comma2 + 1));
        if (!valid_country(code))
            throw TorGeoipError(file_name, line_number,
                                "bad country code '" + std::string(code) + "'");

        char upper[3] = {};
        for (std::size_t i = 0; i < code.size(); ++i)
            upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(code[i])));
        const std::string_view key(upper, code.size());
        auto country = into.prefixes_by_country.find(key);  // no allocation per line
        if (country == into.prefixes_by_country.end())
            country =
                into.prefixes_by_country.emplace(std::string(key), std::vector<Prefix>{}).first;
        append_range_prefixes(*first, *last, country->second);
        ++into.range_count;
    }
}

TorGeoipDatabase read_tor_geoip(const std::filesystem::path& v4_file,
                                const std::filesystem::path& v6_file) {
    TorGeoipDatabase database;
    auto read_one = [&](const std::filesystem::path& path, IpAddress::Family family) {
        if (path.empty()) return;
        std::string why;
        auto contents = read_regular_file(path.string(), kMaxConfiguredFileBytes, &why);
        if (!contents) throw TorGeoipError(path.string(), 0, "cannot read the file: " + why);
        parse_tor_geoip(*contents, family, path.string(), database);
    };
    read_one(v4_file, IpAddress::Family::v4);
    read_one(v6_file, IpAddress::Family::v6);
    return database;
}

}  // namespace shunt::rules

// Reader for Debian's tor-geoipdb country ranges: /usr/share/tor/geoip ("FROM,TO,CC" with
// FROM and TO as IPv4 integers) and geoip6 ("FROM_V6,TO_V6,CC"), '#' comments.
// Each range becomes the minimal list of CIDRs, grouped by country, ready for
// IpPrefixTable. Used for GEOIP without an .mmdb file, for tests and for the benchmark.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip_address.hpp"

namespace shunt::rules {

inline constexpr std::string_view kTorGeoipV4Path = "/usr/share/tor/geoip";
inline constexpr std::string_view kTorGeoipV6Path = "/usr/share/tor/geoip6";

// "file:line: message"; also for a file that cannot be opened (line 0).
class TorGeoipError : public std::runtime_error {
  public:
    TorGeoipError(std::string file, int line, const std::string& message);
    const std::string& file() const { return file_; }
    int line() const { return line_; }

  private:
    std::string file_;
    int line_;
};

struct TorGeoipDatabase {
    // Country code as written in the file (upper case; "??" marks unknown ranges).
    std::map<std::string, std::vector<Prefix>, std::less<>> prefixes_by_country;
    std::size_t range_count = 0;

    // Empty if the country has no ranges.
    const std::vector<Prefix>& country(std::string_view code) const;
    std::size_t prefix_count() const;
};

// Parses one file's text into `into`; `family` says which format (v4 integers or v6 text).
// Throws TorGeoipError naming `file_name` and the line.
void parse_tor_geoip(std::string_view text, IpAddress::Family family, const std::string& file_name,
                     TorGeoipDatabase& into);

// Reads both files; an empty path is skipped. Throws TorGeoipError.
TorGeoipDatabase read_tor_geoip(const std::filesystem::path& v4_file = kTorGeoipV4Path,
                                const std::filesystem::path& v6_file = kTorGeoipV6Path);

}  // namespace shunt::rules

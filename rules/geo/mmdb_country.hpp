// GEOIP country lookup from a MaxMind DB file (GeoIP2-Country / GeoLite2-Country or any
// database with the same "country" → "iso_code" layout), for Clash's GEOIP,CC rules.
// Configured as `[geoip] database = PATH`; rules/geo/tor_geoip.hpp is the fallback
// when no .mmdb is configured.
//
// The engine asks once per connection, so lookup() must not allocate:
//  - the address becomes a sockaddr_in/sockaddr_in6 on the stack and goes to
//    MMDB_lookup_sockaddr, which only walks the memory-mapped search tree;
//  - the record is read with MMDB_aget_value and a static path array. (MMDB_get_value,
//    the varargs form, calloc()s a copy of the path on every call, so it is avoided.)
//  - the answer is copied into CountryCode, two chars held by value. A string_view into
//    the mapped file would also be allocation-free, but the file does not promise
//    upper case or two bytes; CountryCode is normalised once here, compares as one
//    16-bit integer in the rule engine, and outlives the MmdbCountry object.
//
// An MmdbCountry is immutable after construction; libmaxminddb lookups on one MMDB_s
// are safe from several threads at once.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip_address.hpp"

struct MMDB_s;

namespace shunt::rules {

// An ISO 3166-1 alpha-2 country code, upper case ("CN", "US").
class CountryCode {
  public:
    // nullopt unless `text` is exactly two ASCII letters (either case).
    static std::optional<CountryCode> parse(std::string_view text);

    std::string_view view() const { return {chars_.data(), chars_.size()}; }
    // Both letters in one integer: what a GEOIP rule compares against.
    std::uint16_t packed() const {
        return static_cast<std::uint16_t>((static_cast<unsigned char>(chars_[0]) << 8) |
                                          static_cast<unsigned char>(chars_[1]));
    }

    friend bool operator==(const CountryCode&, const CountryCode&) = default;

  private:
    CountryCode() = default;
    std::array<char, 2> chars_{};
};

class MmdbCountry {
  public:
    // Opens (memory-maps) the database. Throws std::runtime_error naming the path and
    // libmaxminddb's reason (MMDB_strerror) when the file is missing or not a MaxMind DB.
    explicit MmdbCountry(const std::string& path);
    ~MmdbCountry();
    MmdbCountry(const MmdbCountry&) = delete;
    MmdbCountry& operator=(const MmdbCountry&) = delete;
    MmdbCountry(MmdbCountry&&) noexcept;
    MmdbCountry& operator=(MmdbCountry&&) noexcept;

    // The country of `address`: "country" → "iso_code", or "registered_country" →
    // "iso_code" for networks without a located country (anycast, satellite ranges).
    // nullopt when the address is not in the database or the record has no usable code.
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is looked up as the IPv4 address. No allocation.
    std::optional<CountryCode> lookup(const IpAddress& address) const;
    // Every address lookup() answers `country` for, as prefixes (for the eBPF bypass,
    // which needs GEOIP,CC as an address set): a walk of the search tree, so the answer
    // agrees with lookup() for every address, IPv4-mapped IPv6 included. IPv4 first.
    std::vector<Prefix> prefixes_of(CountryCode country) const;

    const std::string& path() const { return path_; }
    // From the metadata, e.g. "GeoLite2-Country".
    std::string_view database_type() const;
    int ip_version() const;

  private:
    std::string path_;
    std::unique_ptr<MMDB_s> db_;
};

// Clash's GEOIP,LAN: addresses that never leave the local network. IPv4: 0.0.0.0/8,
// 10/8, 127/8, 169.254/16, 172.16/12, 192.168/16, 100.64/10 (CGNAT); IPv6: ::1, ::,
// fc00::/7 (ULA), fe80::/10 (link-local), and IPv4-mapped forms of the IPv4 ranges.
bool is_lan(const IpAddress& address);
// The same ranges as prefixes (IPv4, IPv6, and the IPv4 ones IPv4-mapped).
std::vector<Prefix> lan_prefixes();

}  // namespace shunt::rules

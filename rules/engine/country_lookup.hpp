// The country lookup GEOIP rules consult, as an interface so tests can stub it with a
// map and the engine can use the MaxMind database (MmdbCountryLookup) or anything else.
#pragma once

#include <optional>
#include <vector>

#include "net/ip_address.hpp"
#include "rules/geo/mmdb_country.hpp"

namespace shunt::rules {

class CountryLookup {
  public:
    virtual ~CountryLookup() = default;
    // Must not allocate: it runs once per evaluated connection that reaches a GEOIP rule.
    virtual std::optional<CountryCode> country_of(const IpAddress& address) const = 0;
    // Every address country_of() answers `country` for, as prefixes (any order, may
    // overlap): the eBPF bypass compiler needs GEOIP,CC as an address set.
    virtual std::vector<Prefix> prefixes_of(CountryCode country) const = 0;
};

// Adapts the libmaxminddb reader. Holds a reference: the database must outlive it.
class MmdbCountryLookup final : public CountryLookup {
  public:
    explicit MmdbCountryLookup(const MmdbCountry& database) : database_(database) {}
    std::optional<CountryCode> country_of(const IpAddress& address) const override {
        return database_.lookup(address);
    }
    std::vector<Prefix> prefixes_of(CountryCode country) const override {
        return database_.prefixes_of(country);
    }

  private:
    const MmdbCountry& database_;
};

}  // namespace shunt::rules

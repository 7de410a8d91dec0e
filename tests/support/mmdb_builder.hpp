// Real MaxMind DB files for GEOIP tests, written by MaxMind's own Perl writer
// (tests/support/make_test_mmdb.pl, Debian's libmaxmind-db-writer-perl).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "net/ip_address.hpp"
#include "tests/support/child_process.hpp"

namespace shunt::test {

// One network and its country code. `registered_only` stores the code under
// "registered_country" instead of "country" (to test the reader's fallback).
struct MmdbNetwork {
    Prefix prefix;
    std::string country;
    bool registered_only = false;
};

// Writes `networks` to <dir>/test.mmdb (IPv6 tree, 24-bit records, type
// "GeoLite2-Country", IPv4 networks under ::/96 and aliased from ::ffff:0:0/96) and
// returns its path. Throws std::runtime_error with the script's output on failure.
std::string build_test_mmdb(const TempDir& dir, const std::vector<MmdbNetwork>& networks);
std::string build_test_mmdb(const TempDir& dir,
                            const std::vector<std::pair<Prefix, std::string>>& networks);

}  // namespace shunt::test

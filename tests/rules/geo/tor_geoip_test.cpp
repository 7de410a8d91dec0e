#include "rules/geo/tor_geoip.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "rules/match/ip_prefix_table.hpp"

namespace shunt::rules {
namespace {

TEST(TorGeoip, ParsesBothFormats) {
    TorGeoipDatabase db;
    parse_tor_geoip("# comment\n\n16777216,16777471,AU\r\n16777472,16778239,cn\n",
                    IpAddress::Family::v4, "geoip", db);
    parse_tor_geoip("2001:2::,2001:2:0:ffff:ffff:ffff:ffff:ffff,JP\n", IpAddress::Family::v6,
                    "geoip6", db);
    EXPECT_EQ(db.range_count, 3u);
    ASSERT_EQ(db.country("AU").size(), 1u);
    EXPECT_EQ(db.country("AU")[0].to_string(), "1.0.0.0/24");
    // 1.0.1.0 - 1.0.3.255: /24 + /23; the code is upper-cased.
    ASSERT_EQ(db.country("CN").size(), 2u);
    EXPECT_EQ(db.country("CN")[0].to_string(), "1.0.1.0/24");
    EXPECT_EQ(db.country("CN")[1].to_string(), "1.0.2.0/23");
    ASSERT_EQ(db.country("JP").size(), 1u);
    EXPECT_EQ(db.country("JP")[0].to_string(), "2001:2::/48");
    EXPECT_TRUE(db.country("XX").empty());
    EXPECT_EQ(db.prefix_count(), 4u);
}

void expect_error(const char* text, IpAddress::Family family, int line, const char* fragment) {
    TorGeoipDatabase db;
    try {
        parse_tor_geoip(text, family, "data/geoip", db);
        ADD_FAILURE() << "no error for: " << text;
    } catch (const TorGeoipError& error) {
        EXPECT_EQ(error.file(), "data/geoip");
        EXPECT_EQ(error.line(), line);
        EXPECT_NE(std::string(error.what()).find("data/geoip:" + std::to_string(line) + ": "),
                  std::string::npos);
        EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
    }
}

TEST(TorGeoip, ErrorsNameFileAndLine) {
    using F = IpAddress::Family;
    expect_error("1,2,US\n# x\n3,4\n", F::v4, 3, "FROM,TO,COUNTRY");
    expect_error("1,2,US,5\n", F::v4, 1, "FROM,TO,COUNTRY");
    expect_error("x,2,US\n", F::v4, 1, "bad FROM");
    expect_error("1,4294967296,US\n", F::v4, 1, "bad TO");
    expect_error("\n\n9,3,US\n", F::v4, 3, "before");
    expect_error("1,2,\n", F::v4, 1, "country");
    expect_error("1.2.3.4,::1,US\n", F::v6, 1, "bad FROM");
}

TEST(TorGeoip, MissingFileIsAnError) {
    EXPECT_THROW(read_tor_geoip("/nonexistent/geoip", ""), TorGeoipError);
}

// Only the v4 file: parsing all 660,000 lines takes seconds under ASan. bench_rules parses
// both files (and builds tables from them) in every run.
TEST(TorGeoip, RealDatabaseParses) {
    if (!std::filesystem::exists(kTorGeoipV4Path)) GTEST_SKIP() << "tor-geoipdb not installed";
    const auto db = read_tor_geoip(kTorGeoipV4Path, "");
    const auto& cn = db.country("CN");
    EXPECT_GT(cn.size(), 1000u);
    EXPECT_GT(db.prefixes_by_country.size(), 200u);
    // 1.0.1.0/24 has been Chinese (APNIC/CNNIC) in every edition of the file.
    const auto table = IpPrefixTable::from_set(cn);
    EXPECT_TRUE(table.contains(*IpAddress::parse("1.0.1.1")));
    EXPECT_FALSE(table.contains(*IpAddress::parse("8.8.8.8")));
}

}  // namespace
}  // namespace shunt::rules

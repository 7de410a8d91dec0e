#include "rules/geo/mmdb_country.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "rules/geo/tor_geoip.hpp"
#include "rules/match/address_set.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mmdb_builder.hpp"

namespace shunt::rules {
namespace {

IpAddress ip(const char* text) {
    auto address = IpAddress::parse(text);
    EXPECT_TRUE(address) << text;
    return address.value_or(IpAddress{});
}

Prefix prefix(const char* text) {
    auto parsed = Prefix::parse(text);
    EXPECT_TRUE(parsed) << text;
    return parsed.value_or(Prefix{});
}

// The first `limit` CN lines of a tor-geoipdb file, parsed by the real reader. Parsing the
// whole file takes seconds under ASan; a slice is enough to exercise the mmdb format.
void read_cn_slice(const char* path, IpAddress::Family family, std::size_t limit,
                   TorGeoipDatabase& into) {
    std::ifstream in(path);
    std::string line;
    std::string text;
    std::size_t taken = 0;
    while (taken < limit && std::getline(in, line)) {
        if (line.size() > 3 && line.compare(line.size() - 3, 3, ",CN") == 0) {
            text += line + '\n';
            ++taken;
        }
    }
    parse_tor_geoip(text, family, path, into);
}

// Built once per test binary: writing the file with the Perl writer takes most of a second.
class MmdbCountryTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new test::TempDir;
        cn_ = new std::vector<Prefix>;
        std::vector<test::MmdbNetwork> networks;
        if (std::filesystem::exists(kTorGeoipV4Path) && std::filesystem::exists(kTorGeoipV6Path)) {
            TorGeoipDatabase tor;
            read_cn_slice(kTorGeoipV4Path.data(), IpAddress::Family::v4, 1500, tor);
            read_cn_slice(kTorGeoipV6Path.data(), IpAddress::Family::v6, 300, tor);
            *cn_ = tor.country("CN");
        } else {
            *cn_ = {prefix("1.0.1.0/24"), prefix("1.0.2.0/23"), prefix("240e::/20")};
        }
        for (const auto& p : *cn_) networks.push_back({p, "CN", false});
        networks.push_back({prefix("192.0.2.0/24"), "JP", false});
        networks.push_back({prefix("2001:db8::/32"), "DE", false});
        // Lower case in the file: the reader upper-cases.
        networks.push_back({prefix("203.0.113.0/24"), "fr", false});
        // Only registered_country: the reader falls back to it.
        networks.push_back({prefix("198.51.100.0/24"), "US", true});
        // Not a two-letter code: no answer rather than garbage.
        networks.push_back({prefix("100.64.0.0/10"), "XYZ", false});
        networks.push_back({prefix("10.0.0.0/8"), "AU", false});
        db_ = new MmdbCountry(test::build_test_mmdb(*dir_, networks));
    }
    static void TearDownTestSuite() {
        delete db_;
        delete cn_;
        delete dir_;
    }

    static std::string country(const char* address) {
        auto code = db_->lookup(ip(address));
        return code ? std::string(code->view()) : std::string("-");
    }

    static inline test::TempDir* dir_ = nullptr;
    static inline std::vector<Prefix>* cn_ = nullptr;
    static inline MmdbCountry* db_ = nullptr;
};

TEST_F(MmdbCountryTest, Metadata) {
    EXPECT_EQ(db_->database_type(), "GeoLite2-Country");
    EXPECT_EQ(db_->ip_version(), 6);
}

TEST_F(MmdbCountryTest, HandMadeEntries) {
    EXPECT_EQ(country("192.0.2.0"), "JP");
    EXPECT_EQ(country("192.0.2.255"), "JP");
    EXPECT_EQ(country("192.0.3.0"), "-");
    EXPECT_EQ(country("2001:db8::1"), "DE");
    EXPECT_EQ(country("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), "DE");
    EXPECT_EQ(country("2001:db9::1"), "-");
    EXPECT_EQ(country("203.0.113.7"), "FR");
    EXPECT_EQ(country("198.51.100.1"), "US");
    EXPECT_EQ(country("100.64.0.1"), "-");
    EXPECT_EQ(country("10.1.2.3"), "AU");
    EXPECT_EQ(country("8.8.8.8"), "-");
    EXPECT_EQ(country("2001:4860:4860::8888"), "-");
    EXPECT_EQ(country("::"), "-");
}

TEST_F(MmdbCountryTest, V4MappedAndAliasedInput) {
    EXPECT_EQ(country("::ffff:192.0.2.9"), "JP");
    EXPECT_EQ(country("::ffff:10.0.0.1"), "AU");
    EXPECT_EQ(country("::ffff:8.8.8.8"), "-");
    // 6to4 (2002:c000:0209::) reaches the IPv4 subtree through the writer's aliases.
    EXPECT_EQ(country("2002:c000:209::1"), "JP");
}

bool in_cn(const std::vector<Prefix>& cn, const IpAddress& address) {
    for (const auto& p : cn)
        if (p.contains(address)) return true;
    return false;
}

TEST_F(MmdbCountryTest, TorGeoipChinaRanges) {
    ASSERT_GT(cn_->size(), 2u);
    std::size_t v4 = 0, v6 = 0, outside_checked = 0;
    for (std::size_t i = 0; i < cn_->size(); i += 7) {
        const Prefix& p = (*cn_)[i];
        (p.family() == IpAddress::Family::v4 ? v4 : v6)++;
        for (IpAddress a : {p.base(), p.at(p.size() / 2), p.at(p.size() - 1)}) {
            auto code = db_->lookup(a);
            ASSERT_TRUE(code) << a.to_string() << " in " << p.to_string();
            EXPECT_EQ(code->view(), "CN") << a.to_string();
            if (a.is_v4()) {
                // The same address written as IPv4-mapped IPv6.
                auto mapped = IpAddress::parse("::ffff:" + a.to_string());
                ASSERT_TRUE(mapped);
                ASSERT_TRUE(db_->lookup(*mapped)) << mapped->to_string();
            }
        }
        // The address just below the prefix is CN only if another stored prefix holds it.
        auto below = IpAddress::from_v6_u128(p.base().to_u128() - 1);
        if (p.family() == IpAddress::Family::v4) below = IpAddress::from_v4(p.base().v4() - 1);
        bool expected = in_cn(*cn_, below);
        if (!expected) ++outside_checked;
        EXPECT_EQ(db_->lookup(below).has_value(), expected) << below.to_string();
    }
    EXPECT_GT(v4, 0u);
    EXPECT_GT(v6, 0u);
    EXPECT_GT(outside_checked, 0u);
}

// prefixes_of() must agree with lookup() everywhere: inside each prefix (ends and middle),
// just outside it, for the IPv4-mapped form, and for every hand-made country.
TEST_F(MmdbCountryTest, PrefixesOfAgreeWithLookup) {
    for (const char* code : {"CN", "JP", "DE", "FR", "US", "AU"}) {
        const CountryCode country = *CountryCode::parse(code);
        const std::vector<Prefix> prefixes = db_->prefixes_of(country);
        ASSERT_FALSE(prefixes.empty()) << code;
        const AddressSet listed_set = AddressSet::of(prefixes);
        for (const Prefix& p : prefixes) {
            for (IpAddress a : {p.base(), p.at(p.size() / 2), p.at(p.size() - 1)}) {
                auto found = db_->lookup(a);
                ASSERT_TRUE(found && *found == country) << code << " " << a.to_string();
            }
            // The address below: either another prefix of the list or another answer.
            const IpAddress below = p.family() == IpAddress::Family::v4
                                        ? IpAddress::from_v4(p.base().v4() - 1)
                                        : IpAddress::from_v6_u128(p.base().to_u128() - 1);
            const bool listed = listed_set.contains(below);
            auto found = db_->lookup(below);
            EXPECT_EQ(listed, found && *found == country) << code << " " << below.to_string();
        }
    }
    auto has = [](const std::vector<Prefix>& list, const char* address) {
        const IpAddress a = ip(address);
        return std::any_of(list.begin(), list.end(),
                           [&](const Prefix& p) { return p.contains(a); });
    };
    const auto jp = db_->prefixes_of(*CountryCode::parse("JP"));
    EXPECT_TRUE(has(jp, "192.0.2.7"));
    EXPECT_TRUE(has(jp, "::ffff:192.0.2.7"));  // looked up as IPv4
    EXPECT_TRUE(has(jp, "2002:c000:209::1"));  // the writer's 6to4 alias
    EXPECT_FALSE(has(jp, "192.0.3.0"));
    EXPECT_TRUE(has(db_->prefixes_of(*CountryCode::parse("US")), "198.51.100.1"));  // registered
    EXPECT_TRUE(db_->prefixes_of(*CountryCode::parse("ZZ")).empty());
}

TEST(LanPrefixes, SameAddressesAsIsLan) {
    const std::vector<Prefix> lan = lan_prefixes();
    auto listed = [&](const IpAddress& a) {
        return std::any_of(lan.begin(), lan.end(), [&](const Prefix& p) { return p.contains(a); });
    };
    for (const Prefix& p : lan) {
        for (IpAddress a : {p.base(), p.at(p.size() - 1)}) EXPECT_TRUE(is_lan(a)) << a.to_string();
        const IpAddress below = p.family() == IpAddress::Family::v4
                                    ? IpAddress::from_v4(p.base().v4() - 1)
                                    : IpAddress::from_v6_u128(p.base().to_u128() - 1);
        EXPECT_EQ(is_lan(below), listed(below)) << below.to_string();
    }
    for (const char* text : {"8.8.8.8", "100.63.255.255", "172.32.0.0", "::2", "fe7f::1",
                             "::ffff:8.8.8.8", "::ffff:10.1.1.1", "2001:db8::1"})
        EXPECT_EQ(is_lan(ip(text)), listed(ip(text))) << text;
}

TEST(MmdbCountry, MissingFileIsAClearError) {
    try {
        MmdbCountry db("/nonexistent/GeoLite2-Country.mmdb");
        FAIL() << "opened a missing file";
    } catch (const std::runtime_error& error) {
        std::string what = error.what();
        EXPECT_NE(what.find("/nonexistent/GeoLite2-Country.mmdb"), std::string::npos) << what;
        EXPECT_NE(what.find("cannot open GeoIP database"), std::string::npos) << what;
    }
}

TEST(MmdbCountry, NonMmdbFileIsAClearError) {
    test::TempDir dir;
    dir.write("country.mmdb", "this is not a MaxMind DB file\n");
    try {
        MmdbCountry db(dir.file("country.mmdb"));
        FAIL() << "opened a text file";
    } catch (const std::runtime_error& error) {
        std::string what = error.what();
        EXPECT_NE(what.find(dir.file("country.mmdb")), std::string::npos) << what;
        // MMDB_strerror(MMDB_INVALID_METADATA_ERROR)
        EXPECT_NE(what.find("metadata"), std::string::npos) << what;
    }
}

TEST(MmdbCountry, BuilderReportsScriptErrors) {
    test::TempDir dir;
    try {
        test::build_test_mmdb(dir,
                              std::vector<test::MmdbNetwork>{{prefix("192.0.2.0/24"), "", false}});
        FAIL() << "built a database from a line without a country";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("expected 'CIDR CC"), std::string::npos)
            << error.what();
    }
}

TEST(CountryCode, Parse) {
    EXPECT_EQ(CountryCode::parse("cn")->view(), "CN");
    EXPECT_EQ(CountryCode::parse("Us")->view(), "US");
    EXPECT_EQ(CountryCode::parse("CN")->packed(), ('C' << 8) | 'N');
    EXPECT_EQ(CountryCode::parse("cn"), CountryCode::parse("CN"));
    EXPECT_FALSE(CountryCode::parse(""));
    EXPECT_FALSE(CountryCode::parse("C"));
    EXPECT_FALSE(CountryCode::parse("CHN"));
    EXPECT_FALSE(CountryCode::parse("C1"));
    EXPECT_FALSE(CountryCode::parse("\xc3\xa9"));
}

TEST(IsLan, Table) {
    struct Case {
        const char* address;
        bool lan;
    };
    const Case cases[] = {
        {"10.0.0.1", true},
        {"10.255.255.255", true},
        {"11.0.0.0", false},
        {"9.255.255.255", false},
        {"172.16.0.1", true},
        {"172.31.255.255", true},
        {"172.32.0.0", false},
        {"172.15.255.255", false},
        {"192.168.1.1", true},
        {"192.169.0.0", false},
        {"127.0.0.1", true},
        {"127.255.255.254", true},
        {"169.254.1.1", true},
        {"169.255.0.0", false},
        {"100.64.0.1", true},
        {"100.127.255.255", true},
        {"100.128.0.0", false},
        {"100.63.255.255", false},
        {"0.0.0.0", true},
        {"8.8.8.8", false},
        {"1.1.1.1", false},
        {"192.0.2.1", false},
        {"::1", true},
        {"::", true},
        {"::2", false},
        {"fc00::1", true},
        {"fdff:ffff::1", true},
        {"fe00::1", false},
        {"fe80::1", true},
        {"febf:ffff::1", true},
        {"fec0::1", false},
        {"2001:db8::1", false},
        {"2400:cb00::1", false},
        {"::ffff:192.168.0.1", true},
        {"::ffff:8.8.8.8", false},
        {"::ffff:127.0.0.1", true},
    };
    for (const auto& c : cases) EXPECT_EQ(is_lan(ip(c.address)), c.lan) << c.address;
}

}  // namespace
}  // namespace shunt::rules

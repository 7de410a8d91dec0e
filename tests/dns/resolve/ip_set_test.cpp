#include "dns/resolve/ip_set.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "tests/support/child_process.hpp"

namespace shunt::dns {
namespace {

IpAddress ip(const char* text) {
    auto a = IpAddress::parse(text);
    if (!a) throw std::invalid_argument(text);
    return *a;
}

std::string error_of(std::string_view text, std::string_view source) {
    try {
        IpSet::parse(text, source);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

TEST(IpSet, ParsesCidrsBareAddressesCommentsAndBlankLines) {
    auto set = IpSet::parse(
        "# domestic\n"
        "\n"
        "  10.0.0.0/8   # private\n"
        "192.0.2.7\r\n"
        "\t2001:db8::/32\n"
        "2001:db8:ffff::1 # a host\n"
        "   \n",
        "test");
    EXPECT_TRUE(set.contains(ip("10.255.1.2")));
    EXPECT_TRUE(set.contains(ip("192.0.2.7")));
    EXPECT_FALSE(set.contains(ip("192.0.2.8")));
    EXPECT_TRUE(set.contains(ip("2001:db8:1234::5")));
    EXPECT_FALSE(set.contains(ip("2001:db9::")));
    EXPECT_FALSE(set.contains(ip("11.0.0.0")));
    EXPECT_FALSE(set.contains(ip("9.255.255.255")));
}

TEST(IpSet, ErrorsNameSourceAndLine) {
    EXPECT_EQ(error_of("10.0.0.0/8\n\n# c\n10.0.0.0/33\n", "cn.txt"),
              "cn.txt:4: not a CIDR or IP address: \"10.0.0.0/33\"");
    EXPECT_EQ(error_of("example.com\n", "f"), "f:1: not a CIDR or IP address: \"example.com\"");
    EXPECT_NE(error_of("1.2.3.4/\n", "f").find("f:1:"), std::string::npos);
    EXPECT_NE(error_of("1.2.3.4 5.6.7.8\n", "f").find("f:1:"), std::string::npos);
    EXPECT_NE(error_of("::1/129\n", "f").find("f:1:"), std::string::npos);
    EXPECT_NE(error_of("1.2.3.4\n1.2.3.4/-1", "f").find("f:2:"), std::string::npos);
    EXPECT_EQ(error_of("", "f"), "");
}

TEST(IpSet, LoadsFileAndReportsFileLine) {
    test::TempDir dir;
    dir.write("good.txt", "203.0.113.0/24\n");
    dir.write("bad.txt", "203.0.113.0/24\n\nnot-an-ip\n");
    EXPECT_TRUE(IpSet::load_file(dir.file("good.txt")).contains(ip("203.0.113.99")));
    try {
        IpSet::load_file(dir.file("bad.txt"));
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  dir.file("bad.txt") + ":3: not a CIDR or IP address: \"not-an-ip\"");
    }
    try {
        IpSet::load_file(dir.file("missing.txt"));
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(dir.file("missing.txt")), std::string::npos)
            << e.what();
    }
}

TEST(IpSet, EdgePrefixes) {
    auto all_v4 = IpSet::parse("0.0.0.0/0", "t");
    EXPECT_TRUE(all_v4.contains(ip("0.0.0.0")));
    EXPECT_TRUE(all_v4.contains(ip("255.255.255.255")));
    EXPECT_FALSE(all_v4.contains(ip("::")));
    // IPv4-mapped IPv6 is IPv4, as in the rules and the mux-server's target policy.
    EXPECT_TRUE(all_v4.contains(ip("::ffff:1.2.3.4")));

    auto all_v6 = IpSet::parse("::/0", "t");
    EXPECT_TRUE(all_v6.contains(ip("::")));
    EXPECT_TRUE(all_v6.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_FALSE(all_v6.contains(ip("1.2.3.4")));

    auto hosts = IpSet::parse(
        "255.255.255.255/32\n0.0.0.0/32\n::/128\nffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "t");
    EXPECT_TRUE(hosts.contains(ip("255.255.255.255")));
    EXPECT_FALSE(hosts.contains(ip("255.255.255.254")));
    EXPECT_TRUE(hosts.contains(ip("0.0.0.0")));
    EXPECT_FALSE(hosts.contains(ip("0.0.0.1")));
    EXPECT_TRUE(hosts.contains(ip("::")));
    EXPECT_FALSE(hosts.contains(ip("::1")));
    EXPECT_TRUE(hosts.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_FALSE(hosts.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")));

    // Host bits in the base are cleared, as Prefix does.
    EXPECT_TRUE(IpSet::parse("10.1.2.3/8", "t").contains(ip("10.200.0.0")));

    EXPECT_TRUE(IpSet().empty());
    EXPECT_FALSE(IpSet().contains(ip("1.2.3.4")));
}

TEST(IpSet, MergesOverlappingAndAdjacentRanges) {
    auto set = IpSet::parse(
        "10.0.0.0/24\n10.0.1.0/24\n10.0.0.128/25\n10.0.3.0/24\n"  // 0-1 merge, 3 apart
        "255.255.255.0/24\n255.255.255.255\n"                     // touching the top
        "2001:db8::/33\n2001:db8:8000::/33\n",                    // two halves of a /32
        "t");
    EXPECT_EQ(set.prefix_count(), 8u);
    EXPECT_TRUE(set.contains(ip("10.0.1.255")));
    EXPECT_FALSE(set.contains(ip("10.0.2.0")));
    EXPECT_TRUE(set.contains(ip("10.0.3.0")));
    EXPECT_TRUE(set.contains(ip("2001:db8:ffff::")));
}

// Property: the set answers exactly what checking every prefix one by one answers.
TEST(IpSet, AgreesWithLinearScanOnRandomPrefixes) {
    std::mt19937 rng(20240601);
    std::vector<Prefix> prefixes;
    for (int i = 0; i < 300; ++i) {
        if (i % 3 == 0) {
            std::array<std::uint8_t, 16> bytes{0x20, 0x01, 0x0d, 0xb8};
            for (int b = 4; b < 16; ++b) bytes[b] = static_cast<std::uint8_t>(rng());
            prefixes.emplace_back(IpAddress::from_v6(bytes), 32 + static_cast<int>(rng() % 97));
        } else {
            // Concentrated in 10/8 so prefixes overlap and nest.
            std::uint32_t base = 0x0A000000u | (rng() & 0x00FFFFFFu);
            prefixes.emplace_back(IpAddress::from_v4(base), 8 + static_cast<int>(rng() % 25));
        }
    }
    IpSet set(prefixes);
    for (int i = 0; i < 20000; ++i) {
        IpAddress probe;
        if (i % 3 == 0) {
            std::array<std::uint8_t, 16> bytes{0x20, 0x01, 0x0d, 0xb8};
            for (int b = 4; b < 16; ++b) bytes[b] = static_cast<std::uint8_t>(rng());
            // Bias probes towards prefix boundaries.
            if (i % 2) bytes = prefixes[rng() % prefixes.size()].base().bytes();
            probe = IpAddress::from_v6(bytes);
        } else {
            probe = IpAddress::from_v4(0x0A000000u | (rng() & 0x00FFFFFFu));
        }
        bool expected = false;
        for (const auto& p : prefixes) expected = expected || p.contains(probe);
        ASSERT_EQ(set.contains(probe), expected) << probe.to_string();
    }
}

}  // namespace
}  // namespace shunt::dns

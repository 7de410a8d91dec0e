#include "net/ip_address.hpp"

#include <gtest/gtest.h>

namespace shunt {
namespace {

TEST(IpAddress, ParsesBothFamiliesAndRejectsGarbage) {
    EXPECT_EQ(IpAddress::parse("198.18.0.1")->v4(), 0xC6120001u);
    EXPECT_TRUE(IpAddress::parse("fd00::1")->is_v6());
    EXPECT_EQ(IpAddress::parse("::ffff:1.2.3.4")->to_string(), "::ffff:1.2.3.4");
    for (const char* bad : {"", "1.2.3", "1.2.3.256", "1.2.3.4.5", "fd00::1::2", "x", "[::1]"})
        EXPECT_FALSE(IpAddress::parse(bad)) << bad;
}

TEST(IpAddress, LoopbackIsOnly127And1) {
    for (const char* yes : {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"})
        EXPECT_TRUE(IpAddress::parse(yes)->is_loopback()) << yes;
    for (const char* no :
         {"0.0.0.0", "::", "128.0.0.1", "10.0.0.1", "::2", "fe80::1", "::127.0.0.1"})
        EXPECT_FALSE(IpAddress::parse(no)->is_loopback()) << no;
}

TEST(Prefix, ClearsHostBitsAndMapsOffsets) {
    auto p = Prefix::parse("198.18.5.7/15");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->to_string(), "198.18.0.0/15");
    EXPECT_EQ(p->size(), 131072u);
    EXPECT_EQ(p->at(1).to_string(), "198.18.0.1");
    EXPECT_EQ(p->at(131071).to_string(), "198.19.255.255");
    EXPECT_EQ(p->offset_of(*IpAddress::parse("198.19.0.0")), 65536u);
    EXPECT_FALSE(p->contains(*IpAddress::parse("198.20.0.0")));
    auto v6 = Prefix::parse("fd00::/64");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->size(), ~std::uint64_t{0});
    EXPECT_EQ(v6->at(0x10001).to_string(), "fd00::1:1");
    EXPECT_EQ(v6->offset_of(*IpAddress::parse("fd00::1:1")), 0x10001u);
    EXPECT_FALSE(v6->contains(*IpAddress::parse("198.18.0.1")));
    EXPECT_FALSE(Prefix::parse("10.0.0.0/33"));
    EXPECT_FALSE(Prefix::parse("10.0.0.0/"));
}

TEST(Endpoint, ParsesPortsAndBrackets) {
    EXPECT_EQ(Endpoint::parse("127.0.0.1:1053")->port, 1053);
    EXPECT_EQ(Endpoint::parse("[::1]:53")->address.to_string(), "::1");
    EXPECT_EQ(Endpoint::parse("::1", 53)->port, 53);
    EXPECT_EQ(Endpoint::parse("10.0.0.1", 53)->port, 53);
    EXPECT_FALSE(Endpoint::parse("10.0.0.1"));
    EXPECT_FALSE(Endpoint::parse("10.0.0.1:0"));
    EXPECT_FALSE(Endpoint::parse("10.0.0.1:70000"));
    EXPECT_FALSE(Endpoint::parse("[::1"));
}

}  // namespace
}  // namespace shunt

#include "dns/wire/reverse_name.hpp"

#include <gtest/gtest.h>

namespace shunt::dns {
namespace {

TEST(ReverseName, ParsesInAddrArpa) {
    EXPECT_EQ(parse_reverse_name("1.0.18.198.in-addr.arpa"), IpAddress::parse("198.18.0.1"));
    EXPECT_EQ(parse_reverse_name("255.255.19.198.in-addr.arpa."),
              IpAddress::parse("198.19.255.255"));
    EXPECT_EQ(parse_reverse_name("0.0.0.0.IN-ADDR.ARPA"), IpAddress::parse("0.0.0.0"));
}

TEST(ReverseName, ParsesIp6Arpa) {
    const std::string name =
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa";
    EXPECT_EQ(parse_reverse_name(name), IpAddress::parse("fd00::1"));
    const std::string upper =
        "F.E.D.C.B.A.9.8.7.6.5.4.3.2.1.0.f.e.d.c.b.a.9.8.7.6.5.4.3.2.1.0.IP6.ARPA.";
    EXPECT_EQ(parse_reverse_name(upper), IpAddress::parse("123:4567:89ab:cdef:123:4567:89ab:cdef"));
}

TEST(ReverseName, RejectsEverythingElse) {
    const std::string v6_31 =
        "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa";
    const std::string v6_33 = "0." + v6_31.substr(0, v6_31.size() - 9) + "0.0.ip6.arpa";
    for (const std::string& bad :
         {std::string(""), std::string("in-addr.arpa"), std::string(".in-addr.arpa"),
          std::string("18.198.in-addr.arpa"),        // partial
          std::string("1.1.0.18.198.in-addr.arpa"),  // five octets
          std::string("256.0.18.198.in-addr.arpa"),  // octet too large
          std::string("01.0.18.198.in-addr.arpa"),   // leading zero
          std::string("1..18.198.in-addr.arpa"),     // empty label
          std::string("-1.0.18.198.in-addr.arpa"), std::string("a.0.18.198.in-addr.arpa"),
          std::string("1000.0.18.198.in-addr.arpa"), std::string("1.0.18.198.in-addr.arpa.com"),
          std::string("1.0.18.198.xin-addr.arpa"), std::string("example.com"), v6_31, v6_33,
          std::string("10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa"),
          std::string("g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa"),
          std::string("1.0.18.198.ip6.arpa")}) {
        EXPECT_FALSE(parse_reverse_name(bad)) << bad;
    }
}

TEST(ReverseName, MakeReverseNameRoundTrips) {
    for (const char* text :
         {"198.18.0.1", "0.0.0.0", "255.255.255.255", "10.20.30.40", "fd00::1",
          "::", "2001:db8::abcd:ef01", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
        const IpAddress address = *IpAddress::parse(text);
        const std::string name = make_reverse_name(address);
        EXPECT_EQ(parse_reverse_name(name), address) << name;
    }
    EXPECT_EQ(make_reverse_name(*IpAddress::parse("198.18.0.1")), "1.0.18.198.in-addr.arpa");
    EXPECT_EQ(make_reverse_name(*IpAddress::parse("fd00::1")),
              "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa");
}

}  // namespace
}  // namespace shunt::dns

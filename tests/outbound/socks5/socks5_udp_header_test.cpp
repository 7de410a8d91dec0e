// The SOCKS5 UDP request header: encode, decode, fragments and malformed datagrams.
#include "outbound/socks5/socks5_udp_header.hpp"

#include <gtest/gtest.h>

#include "tests/outbound/socks5/scripted_proxy.hpp"

namespace shunt::outbound {
namespace {

using test::Bytes;
using test::bytes_of;

Bytes encoded(const HostPort& address, const Bytes& payload) {
    Bytes out;
    EXPECT_TRUE(append_socks5_udp_header(address, out));
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

TEST(Socks5UdpHeader, EncodesEachAddressType) {
    EXPECT_EQ(encoded({{}, *IpAddress::parse("192.0.2.1"), 53}, {'q'}),
              bytes_of({0, 0, 0, 1, 192, 0, 2, 1, 0, 53, 'q'}));
    EXPECT_EQ(encoded({"a.b", {}, 443}, {}), bytes_of({0, 0, 0, 3, 3, 'a', '.', 'b', 1, 0xbb}));
    const Bytes v6 = encoded({{}, *IpAddress::parse("::2"), 1}, {});
    EXPECT_EQ(v6.size(), 3u + 1 + 16 + 2);
    EXPECT_EQ(v6[3], 4);
    EXPECT_EQ(v6[19], 2);
    Bytes untouched{9};
    EXPECT_FALSE(append_socks5_udp_header({std::string(256, 'x'), {}, 1}, untouched));
    EXPECT_EQ(untouched, Bytes{9});
}

TEST(Socks5UdpHeader, DecodeRoundTrips) {
    const std::vector<HostPort> addresses = {
        {{}, *IpAddress::parse("203.0.113.9"), 5353},
        {{}, *IpAddress::parse("2001:db8::9"), 443},
        {"dns.test", {}, 53},
    };
    for (const auto& address : addresses) {
        SCOPED_TRACE(address.to_string());
        const Bytes datagram = encoded(address, {'p', 'a', 'y'});
        const auto decoded = decode_socks5_udp_datagram(datagram);
        ASSERT_EQ(decoded.status, Socks5UdpDecodeStatus::ok);
        EXPECT_EQ(decoded.address, address);
        EXPECT_EQ(Bytes(decoded.payload.begin(), decoded.payload.end()), bytes_of({'p', 'a', 'y'}));
    }
}

TEST(Socks5UdpHeader, EmptyPayloadIsValid) {
    const auto decoded = decode_socks5_udp_datagram(bytes_of({0, 0, 0, 1, 1, 2, 3, 4, 0, 7}));
    ASSERT_EQ(decoded.status, Socks5UdpDecodeStatus::ok);
    EXPECT_TRUE(decoded.payload.empty());
    EXPECT_EQ(decoded.address.port, 7);
}

TEST(Socks5UdpHeader, FragmentsAreReportedApart) {
    const auto decoded = decode_socks5_udp_datagram(bytes_of({0, 0, 1, 1, 1, 2, 3, 4, 0, 7, 'x'}));
    EXPECT_EQ(decoded.status, Socks5UdpDecodeStatus::fragment);
}

TEST(Socks5UdpHeader, MalformedDatagramsAreRejected) {
    const std::vector<std::pair<const char*, Bytes>> cases = {
        {"empty", {}},
        {"only rsv", bytes_of({0, 0})},
        {"rsv nonzero", bytes_of({0, 1, 0, 1, 1, 2, 3, 4, 0, 7})},
        {"no atyp", bytes_of({0, 0, 0})},
        {"bad atyp", bytes_of({0, 0, 0, 2, 1, 2, 3, 4, 0, 7})},
        {"truncated v4", bytes_of({0, 0, 0, 1, 1, 2, 3, 4, 0})},
        {"truncated v6", bytes_of({0, 0, 0, 4, 1, 2, 3, 4, 0, 7})},
        {"truncated domain", bytes_of({0, 0, 0, 3, 5, 'a', 'b', 0, 7})},
        {"empty domain", bytes_of({0, 0, 0, 3, 0, 0, 7})},
    };
    for (const auto& [name, bytes] : cases) {
        EXPECT_EQ(decode_socks5_udp_datagram(bytes).status, Socks5UdpDecodeStatus::malformed)
            << name;
    }
}

}  // namespace
}  // namespace shunt::outbound

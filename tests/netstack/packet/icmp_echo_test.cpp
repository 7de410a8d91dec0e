// Echo replies built from hand-made echo requests, IPv4 and IPv6.
#include "netstack/packet/icmp_echo.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "netstack/packet/checksum.hpp"
#include "tests/netstack/packet/packet_test_util.hpp"

namespace shunt::netstack {
namespace {

using test::raw_ipv4;
using test::raw_ipv6;

std::vector<std::uint8_t> echo_request_v4() {
    auto packet = raw_ipv4(kProtocolIcmp, 16);
    std::uint8_t* icmp = &packet[20];
    icmp[0] = kIcmpEchoRequest;
    icmp[1] = 0;
    icmp[2] = icmp[3] = 0;
    icmp[4] = 0x12, icmp[5] = 0x34, icmp[6] = 0x00, icmp[7] = 0x07;  // id, sequence
    write_u16(&icmp[2], internet_checksum(std::span(icmp, 16)));
    return packet;
}

TEST(IcmpEchoTest, RepliesToIpv4EchoRequest) {
    const auto request = echo_request_v4();
    const auto parsed = parse_ip_packet(request);
    ASSERT_TRUE(parsed.ok());
    ASSERT_TRUE(is_echo_request(parsed.view));
    std::vector<std::uint8_t> buffer(200);
    const std::size_t length = build_echo_reply(parsed.view, buffer);
    ASSERT_EQ(length, request.size());
    const auto reply = parse_ip_packet(std::span(buffer.data(), length));
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply.view.source, parsed.view.destination);
    EXPECT_EQ(reply.view.destination, parsed.view.source);
    EXPECT_EQ(reply.view.protocol, kProtocolIcmp);
    EXPECT_EQ(reply.view.payload[0], kIcmpEchoReply);
    EXPECT_EQ(internet_checksum(std::span(buffer.data(), 20)), 0);
    EXPECT_EQ(internet_checksum(reply.view.payload), 0);
    // Identifier, sequence and data are kept.
    EXPECT_TRUE(std::equal(reply.view.payload.begin() + 4, reply.view.payload.end(),
                           parsed.view.payload.begin() + 4));
    EXPECT_FALSE(is_echo_request(reply.view));
}

TEST(IcmpEchoTest, RepliesToIpv6EchoRequestWithPseudoHeaderChecksum) {
    auto request = raw_ipv6(kProtocolIcmpV6, 12, {{0, 8}});  // through a hop-by-hop header
    std::uint8_t* icmp = &request[48];
    icmp[0] = kIcmpV6EchoRequest;
    icmp[1] = 0;
    const auto parsed = parse_ip_packet(request);
    ASSERT_TRUE(parsed.ok());
    std::vector<std::uint8_t> buffer(200);
    const std::size_t length = build_echo_reply(parsed.view, buffer);
    ASSERT_EQ(length, 40u + 12u);  // the extension header is not copied
    const auto reply = parse_ip_packet(std::span(buffer.data(), length));
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply.view.source, parsed.view.destination);
    EXPECT_EQ(reply.view.payload[0], kIcmpV6EchoReply);
    EXPECT_EQ(transport_checksum(reply.view.source, reply.view.destination, kProtocolIcmpV6,
                                 reply.view.payload),
              0);
}

TEST(IcmpEchoTest, OtherMessagesGetNoReply) {
    auto request = echo_request_v4();
    std::vector<std::uint8_t> buffer(200);
    request[20] = 3;  // destination unreachable
    EXPECT_FALSE(is_echo_request(parse_ip_packet(request).view));
    EXPECT_EQ(build_echo_reply(parse_ip_packet(request).view, buffer), 0u);
    request[20] = kIcmpEchoRequest;
    request[21] = 1;  // nonzero code
    EXPECT_FALSE(is_echo_request(parse_ip_packet(request).view));
    // ICMPv6 type numbers inside IPv4 (and the other way round) are not echo requests.
    auto v6_in_v4 = raw_ipv4(kProtocolIcmpV6, 8);
    v6_in_v4[20] = kIcmpV6EchoRequest;
    EXPECT_FALSE(is_echo_request(parse_ip_packet(v6_in_v4).view));
    // Too short for identifier and sequence.
    auto short_request = raw_ipv4(kProtocolIcmp, 6);
    short_request[20] = kIcmpEchoRequest;
    EXPECT_FALSE(is_echo_request(parse_ip_packet(short_request).view));
    // Too small a buffer.
    std::vector<std::uint8_t> tiny(20);
    EXPECT_EQ(build_echo_reply(parse_ip_packet(echo_request_v4()).view, tiny), 0u);
}

}  // namespace
}  // namespace shunt::netstack

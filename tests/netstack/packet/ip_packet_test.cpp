// parse_ip_packet (and parse_first_fragment) on hand-made packets: valid IPv4/IPv6
// (options, extension headers) and every rejection, plus truncations and random bytes
// under ASan (no read out of bounds).
#include "netstack/packet/ip_packet.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tests/netstack/packet/packet_test_util.hpp"

namespace shunt::netstack {
namespace {

using test::raw_ipv4;
using test::raw_ipv6;

IpParseStatus status_of(const std::vector<std::uint8_t>& packet) {
    return parse_ip_packet(packet).status;
}

TEST(IpPacketTest, ParsesIpv4) {
    const auto packet = raw_ipv4(kProtocolUdp, 12);
    const auto result = parse_ip_packet(packet);
    ASSERT_TRUE(result.ok()) << to_string(result.status);
    EXPECT_EQ(result.view.source, *IpAddress::parse("198.18.0.1"));
    EXPECT_EQ(result.view.destination, *IpAddress::parse("198.18.3.4"));
    EXPECT_EQ(result.view.protocol, kProtocolUdp);
    EXPECT_EQ(result.view.ttl, 64);
    EXPECT_EQ(result.view.packet.size(), 32u);
    ASSERT_EQ(result.view.payload.size(), 12u);
    EXPECT_EQ(result.view.payload.data(), packet.data() + 20);
}

TEST(IpPacketTest, SkipsIpv4Options) {
    const auto packet = raw_ipv4(kProtocolIcmp, 8, 7);
    const auto result = parse_ip_packet(packet);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.view.payload.data(), packet.data() + 28);
    EXPECT_EQ(result.view.payload.size(), 8u);
}

TEST(IpPacketTest, TrimsBytesBeyondTotalLength) {
    auto packet = raw_ipv4(kProtocolUdp, 8);
    packet.resize(packet.size() + 6, 0xee);
    const auto result = parse_ip_packet(packet);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.view.packet.size(), 28u);
    EXPECT_EQ(result.view.payload.size(), 8u);
}

TEST(IpPacketTest, RejectsMalformedIpv4) {
    EXPECT_EQ(parse_ip_packet({}).status, IpParseStatus::empty);
    auto packet = raw_ipv4(kProtocolUdp, 8);
    packet[0] = 0x55;
    EXPECT_EQ(status_of(packet), IpParseStatus::bad_version);

    packet = raw_ipv4(kProtocolUdp, 8);
    EXPECT_EQ(status_of({packet.begin(), packet.begin() + 19}), IpParseStatus::truncated_header);

    packet[0] = 0x44;  // IHL 4
    EXPECT_EQ(status_of(packet), IpParseStatus::bad_header_length);

    packet = raw_ipv4(kProtocolUdp, 0, 6);
    EXPECT_EQ(status_of({packet.begin(), packet.begin() + 20}), IpParseStatus::truncated_header);

    packet = raw_ipv4(kProtocolUdp, 8);
    packet[3] = 29;  // total length one past the buffer
    EXPECT_EQ(status_of(packet), IpParseStatus::bad_total_length);
    packet[3] = 19;  // total length inside the header
    EXPECT_EQ(status_of(packet), IpParseStatus::bad_header_length);
    packet[2] = 0xff;
    EXPECT_EQ(status_of(packet), IpParseStatus::bad_total_length);
}

TEST(IpPacketTest, ReportsEveryIpv4FragmentIncludingTheFirst) {
    auto packet = raw_ipv4(kProtocolUdp, 8);
    packet[6] = 0x20;  // MF, offset 0: the first fragment
    auto result = parse_ip_packet(packet);
    EXPECT_EQ(result.status, IpParseStatus::fragment);
    EXPECT_EQ(result.view.destination, *IpAddress::parse("198.18.3.4"));
    packet[6] = 0x00;
    packet[7] = 0x10;  // last fragment: offset only
    EXPECT_EQ(status_of(packet), IpParseStatus::fragment);
    packet[6] = 0x40;  // DF, no offset: not a fragment
    packet[7] = 0;
    EXPECT_TRUE(parse_ip_packet(packet).ok());
}

// The half-open guard's view: a first fragment is the start of its segment; any other
// fragment (and every IPv6 fragment) stays a fragment.
TEST(IpPacketTest, ParseFirstFragmentTakesAFirstFragmentAsTheSegmentsStart) {
    auto packet = raw_ipv4(kProtocolTcp, 24);
    packet[6] = 0x20;  // MF, offset 0
    const auto first = parse_first_fragment(packet);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first.view.protocol, kProtocolTcp);
    EXPECT_EQ(first.view.payload.size(), 24u);
    packet[6] = 0x20;
    packet[7] = 0x03;  // MF and an offset: a middle fragment
    EXPECT_EQ(parse_first_fragment(packet).status, IpParseStatus::fragment);
    packet[6] = 0x00;  // the last fragment
    EXPECT_EQ(parse_first_fragment(packet).status, IpParseStatus::fragment);
    packet[6] = 0x40;  // DF, no offset: a whole packet, as parse_ip_packet sees it
    packet[7] = 0;
    EXPECT_TRUE(parse_first_fragment(packet).ok());
    EXPECT_EQ(parse_first_fragment(raw_ipv6(kProtocolTcp, 24, {{44, 8}})).status,
              IpParseStatus::fragment);
}

TEST(IpPacketTest, ParsesIpv6) {
    const auto packet = raw_ipv6(kProtocolUdp, 10);
    const auto result = parse_ip_packet(packet);
    ASSERT_TRUE(result.ok()) << to_string(result.status);
    EXPECT_EQ(result.view.source, *IpAddress::parse("fd00:5::1"));
    EXPECT_EQ(result.view.destination, *IpAddress::parse("fd00:5::9"));
    EXPECT_EQ(result.view.protocol, kProtocolUdp);
    EXPECT_EQ(result.view.payload.size(), 10u);
    EXPECT_EQ(result.view.payload.data(), packet.data() + 40);
}

TEST(IpPacketTest, SkipsIpv6ExtensionHeaders) {
    const auto packet = raw_ipv6(kProtocolIcmpV6, 8, {{0, 8}, {43, 24}, {60, 16}});
    const auto result = parse_ip_packet(packet);
    ASSERT_TRUE(result.ok()) << to_string(result.status);
    EXPECT_EQ(result.view.protocol, kProtocolIcmpV6);
    EXPECT_EQ(result.view.payload.data(), packet.data() + 40 + 8 + 24 + 16);
    EXPECT_EQ(result.view.payload.size(), 8u);

    // AH counts its length in 4-byte units minus 2, unlike the others.
    auto with_ah = raw_ipv6(kProtocolUdp, 8, {{51, 16}});
    with_ah[41] = 2;  // (2 + 2) * 4 = 16
    const auto ah = parse_ip_packet(with_ah);
    ASSERT_TRUE(ah.ok()) << to_string(ah.status);
    EXPECT_EQ(ah.view.payload.size(), 8u);
}

TEST(IpPacketTest, RejectsMalformedIpv6) {
    auto packet = raw_ipv6(kProtocolUdp, 8);
    EXPECT_EQ(status_of({packet.begin(), packet.begin() + 39}), IpParseStatus::truncated_header);
    packet[5] += 1;  // payload length one past the buffer
    EXPECT_EQ(status_of(packet), IpParseStatus::bad_total_length);

    EXPECT_EQ(status_of(raw_ipv6(kProtocolUdp, 8, {{44, 8}})), IpParseStatus::fragment);
    EXPECT_EQ(status_of(raw_ipv6(kProtocolUdp, 8, {{60, 8}, {44, 8}})), IpParseStatus::fragment);
    // Hop-by-hop anywhere but first.
    EXPECT_EQ(status_of(raw_ipv6(kProtocolUdp, 8, {{60, 8}, {0, 8}})),
              IpParseStatus::bad_extension_header);

    // An extension header whose length runs past the packet.
    auto running_past = raw_ipv6(kProtocolUdp, 0, {{60, 8}});
    running_past[41] = 1;  // claims 16 bytes, 8 present
    EXPECT_EQ(status_of(running_past), IpParseStatus::bad_extension_header);
    // Next header says "destination options" but the packet ends right there.
    auto ends = raw_ipv6(59, 0);
    ends[6] = 60;
    EXPECT_EQ(status_of(ends), IpParseStatus::bad_extension_header);
}

TEST(IpPacketTest, BoundsExtensionHeaderChains) {
    EXPECT_TRUE(
        parse_ip_packet(
            raw_ipv6(kProtocolUdp, 8,
                     {{60, 8}, {60, 8}, {60, 8}, {60, 8}, {60, 8}, {60, 8}, {60, 8}, {60, 8}}))
            .ok());
    EXPECT_EQ(
        status_of(raw_ipv6(
            kProtocolUdp, 8,
            {{60, 8}, {60, 8}, {60, 8}, {60, 8}, {60, 8}, {60, 8}, {60, 8}, {60, 8}, {60, 8}})),
        IpParseStatus::too_many_extension_headers);
}

TEST(IpPacketTest, EveryTruncationIsRejectedWithoutReadingPastTheBuffer) {
    for (const auto& packet :
         {raw_ipv4(kProtocolUdp, 20, 6), raw_ipv6(kProtocolUdp, 20, {{0, 8}, {60, 16}})}) {
        for (std::size_t length = 0; length < packet.size(); ++length) {
            // A heap copy of exactly `length` bytes: ASan flags any read past it.
            const std::vector<std::uint8_t> truncated(packet.begin(), packet.begin() + length);
            EXPECT_FALSE(parse_ip_packet(truncated).ok()) << length;
        }
    }
}

TEST(IpPacketTest, RandomBytesNeverCrash) {
    std::mt19937 random(42);
    for (int round = 0; round < 20000; ++round) {
        std::vector<std::uint8_t> bytes(random() % 120);
        for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
        if (!bytes.empty())
            bytes[0] = static_cast<std::uint8_t>((round % 2 ? 0x40 : 0x60) | (bytes[0] & 0x0f));
        const auto result = parse_ip_packet(bytes);
        if (result.ok()) {
            EXPECT_LE(result.view.payload.data() + result.view.payload.size(),
                      bytes.data() + bytes.size());
        }
    }
}

}  // namespace
}  // namespace shunt::netstack

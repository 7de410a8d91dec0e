// Built IP + UDP packets: parse back to what was built, checksums verify, limits hold.
#include "netstack/packet/udp_datagram.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "netstack/packet/checksum.hpp"

namespace shunt::netstack {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

void expect_round_trip(const Endpoint& source, const Endpoint& destination,
                       const std::string& payload) {
    std::vector<std::uint8_t> buffer(2000);
    const std::size_t length = build_udp_packet({source, destination, bytes_of(payload)}, buffer);
    ASSERT_EQ(length, udp_packet_size(source.address.family(), payload.size()));
    const auto parsed = parse_ip_packet(std::span(buffer.data(), length));
    ASSERT_TRUE(parsed.ok()) << to_string(parsed.status);
    EXPECT_EQ(parsed.view.protocol, kProtocolUdp);
    const auto datagram = parse_udp_datagram(parsed.view);
    ASSERT_TRUE(datagram);
    EXPECT_EQ(datagram->source, source);
    EXPECT_EQ(datagram->destination, destination);
    EXPECT_EQ(std::string(datagram->payload.begin(), datagram->payload.end()), payload);
    // Both checksums verify (a correct sum over the field itself is 0).
    if (source.address.is_v4()) {
        EXPECT_EQ(internet_checksum(std::span(buffer.data(), 20)), 0);
    }
    EXPECT_EQ(
        transport_checksum(source.address, destination.address, kProtocolUdp, parsed.view.payload),
        0);
    EXPECT_NE(read_u16(&parsed.view.payload[6]), 0);
}

TEST(UdpDatagramTest, BuildsIpv4AndIpv6) {
    expect_round_trip(*Endpoint::parse("198.18.3.4:53"), *Endpoint::parse("198.18.0.1:40000"),
                      "hello");
    expect_round_trip(*Endpoint::parse("[fd00:5::9]:443"), *Endpoint::parse("[fd00:5::1]:5000"),
                      "odd");
    expect_round_trip(*Endpoint::parse("10.0.0.1:1"), *Endpoint::parse("10.0.0.2:2"), "");
}

TEST(UdpDatagramTest, RefusesWhatDoesNotFit) {
    std::vector<std::uint8_t> buffer(100);
    const std::string payload(60, 'x');
    const auto v4 = *Endpoint::parse("10.0.0.1:1");
    const auto v6 = *Endpoint::parse("[fd00::1]:1");
    EXPECT_EQ(build_udp_packet({v4, v6, bytes_of(payload)}, buffer), 0u);  // families differ
    EXPECT_EQ(build_udp_packet({v6, v6, bytes_of(payload)}, buffer), 0u);  // 108 > 100
    EXPECT_EQ(build_udp_packet({v4, v4, bytes_of(payload)}, buffer), 88u);
    std::vector<std::uint8_t> huge_buffer(70000);
    const std::string huge(65535 - 20 - 8 + 1, 'x');
    EXPECT_EQ(build_udp_packet({v4, v4, bytes_of(huge)}, huge_buffer), 0u);
    EXPECT_EQ(build_udp_packet({v4, v4, bytes_of(huge.substr(1))}, huge_buffer), 65535u);
}

TEST(UdpDatagramTest, RejectsBadUdpLengths) {
    std::vector<std::uint8_t> buffer(100);
    const auto v4 = *Endpoint::parse("10.0.0.1:1");
    const std::size_t length = build_udp_packet({v4, v4, bytes_of(std::string("abcdef"))}, buffer);
    auto view = parse_ip_packet(std::span(buffer.data(), length)).view;
    ASSERT_TRUE(parse_udp_datagram(view));

    auto short_view = view;
    short_view.payload = view.payload.first(7);
    EXPECT_FALSE(parse_udp_datagram(short_view));

    buffer[20 + 5] = 7;  // UDP length below the header
    EXPECT_FALSE(parse_udp_datagram(view));
    buffer[20 + 5] = 15;  // beyond the segment
    EXPECT_FALSE(parse_udp_datagram(view));
    buffer[20 + 5] = 10;  // shorter than the segment: trimmed
    const auto trimmed = parse_udp_datagram(view);
    ASSERT_TRUE(trimmed);
    EXPECT_EQ(trimmed->payload.size(), 2u);
}

}  // namespace
}  // namespace shunt::netstack

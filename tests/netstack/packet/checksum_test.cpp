// The Internet checksum against published values, split sums, and pseudo-headers.
#include "netstack/packet/checksum.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace shunt::netstack {
namespace {

TEST(ChecksumTest, Rfc1071Example) {
    // RFC 1071 section 3: the sum of these words is 0xddf2, so the checksum is 0x220d.
    const std::vector<std::uint8_t> bytes = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(internet_checksum(bytes), 0x220d);
}

TEST(ChecksumTest, KnownIpv4Header) {
    // A captured header whose checksum field holds 0xb861.
    std::vector<std::uint8_t> header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                        0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    EXPECT_EQ(internet_checksum(header), 0);  // a correct header verifies to 0
    header[10] = header[11] = 0;
    EXPECT_EQ(internet_checksum(header), 0xb861);
}

TEST(ChecksumTest, OddLengthsAndSplitsAgree) {
    std::vector<std::uint8_t> bytes(37);
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<std::uint8_t>(i * 37 + 11);
    const std::uint16_t whole = internet_checksum(bytes);
    for (std::size_t split = 0; split <= bytes.size(); ++split) {
        for (std::size_t second = split; second <= bytes.size(); second += 3) {
            ChecksumAccumulator sum;
            sum.add(std::span(bytes).first(split));
            sum.add(std::span(bytes).subspan(split, second - split));
            sum.add(std::span(bytes).subspan(second));
            ASSERT_EQ(sum.finish(), whole) << split << " " << second;
        }
    }
    // An odd final byte is padded with zero.
    EXPECT_EQ(internet_checksum(std::vector<std::uint8_t>{0x12}),
              static_cast<std::uint16_t>(~0x1200));
}

TEST(ChecksumTest, KnownUdpOverIpv4) {
    // 192.168.0.1:1234 -> 192.168.0.199:53, payload "abcd"; checksum computed by hand:
    // pseudo c0a8+0001+c0a8+00c7+0011+000c, udp 04d2+0035+000c+0000, data 6162+6364.
    const std::vector<std::uint8_t> udp = {0x04, 0xd2, 0x00, 0x35, 0x00, 0x0c,
                                           0x00, 0x00, 'a',  'b',  'c',  'd'};
    std::uint32_t sum = 0xc0a8 + 0x0001 + 0xc0a8 + 0x00c7 + 0x0011 + 0x000c + 0x04d2 + 0x0035 +
                        0x000c + 0x6162 + 0x6364;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    const auto expected = static_cast<std::uint16_t>(~sum);
    EXPECT_EQ(transport_checksum(*IpAddress::parse("192.168.0.1"),
                                 *IpAddress::parse("192.168.0.199"), 17, udp),
              expected);
}

TEST(ChecksumTest, Ipv6PseudoHeaderUsesFullAddressesAndLength) {
    const auto source = *IpAddress::parse("fd00::1");
    const auto destination = *IpAddress::parse("fd00::2");
    const std::vector<std::uint8_t> segment = {0x80, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01};
    // fd00 + 0001 + fd00 + 0002 + length 0008 + next header 003a + message words.
    const std::uint32_t sum =
        0xfd00 + 0x0001 + 0xfd00 + 0x0002 + 0x0008 + 0x003a + 0x8000 + 0x1234 + 0x0001;
    std::uint32_t folded = sum;
    while (folded >> 16) folded = (folded & 0xffff) + (folded >> 16);
    EXPECT_EQ(transport_checksum(source, destination, 58, segment),
              static_cast<std::uint16_t>(~folded));
}

}  // namespace
}  // namespace shunt::netstack

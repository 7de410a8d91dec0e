#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "outbound/address_codec.hpp"

namespace shunt::outbound {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::size_t parse(const Bytes& wire, HostPort& out, std::string& error) {
    const Bytes exact(wire);  // exactly sized: ASan catches reads past the input
    return parse_address(exact, out, error);
}

TEST(AddressCodec, EncodesTheSocks5Forms) {
    Bytes wire;
    append_address(wire, {{}, IpAddress::parse("192.0.2.1"), 443});
    EXPECT_EQ(wire, (Bytes{1, 192, 0, 2, 1, 0x01, 0xbb}));

    wire.clear();
    append_address(wire, {"ab.c", std::nullopt, 80});
    EXPECT_EQ(wire, (Bytes{3, 4, 'a', 'b', '.', 'c', 0, 80}));

    wire.clear();
    append_address(wire, {{}, IpAddress::parse("2001:db8::1"), 53});
    EXPECT_EQ(wire, (Bytes{4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 53}));
    EXPECT_EQ(wire_address_size({{}, IpAddress::parse("2001:db8::1"), 53}), wire.size());
}

TEST(AddressCodec, RoundTripsIpv4Ipv6AndLongestDomain) {
    const HostPort addresses[] = {
        {{}, IpAddress::parse("0.0.0.0"), 0},
        {{}, IpAddress::parse("255.255.255.255"), 65535},
        {{}, IpAddress::parse("fe80::1:2:3:4"), 1},
        {"x", std::nullopt, 9},
        {std::string(255, 'd'), std::nullopt, 8443},
    };
    for (const auto& address : addresses) {
        Bytes wire;
        append_address(wire, address);
        wire.push_back(0xEE);  // trailing bytes are the caller's
        HostPort parsed;
        std::string error;
        EXPECT_EQ(parse(wire, parsed, error), wire.size() - 1) << error;
        EXPECT_EQ(parsed, address);
    }
    Bytes longest;
    append_address(longest, {std::string(255, 'd'), std::nullopt, 1});
    EXPECT_EQ(longest.size(), kMaxWireAddressSize);
}

TEST(AddressCodec, RefusesBadTypesEmptyDomainsAndTruncation) {
    struct Case {
        const char* name;
        Bytes wire;
        const char* error;
    };
    const Case cases[] = {
        {"nothing", {}, "truncated"},
        {"atyp 0", {0, 1, 2, 3, 4, 0, 80}, "unknown address type 0"},
        {"atyp 2", {2, 1, 2, 3, 4, 0, 80}, "unknown address type 2"},
        {"atyp 5", {5, 1, 2, 3, 4, 0, 80}, "unknown address type 5"},
        {"empty domain", {3, 0, 0, 80}, "empty domain"},
        {"domain without length", {3}, "truncated"},
        {"domain cut", {3, 5, 'a', 'b', 'c', 'd', 'e', 0}, "truncated"},
        {"IPv4 without port", {1, 127, 0, 0, 1}, "truncated"},
        {"IPv6 cut", {4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, "truncated"},
    };
    for (const auto& c : cases) {
        HostPort parsed;
        std::string error;
        EXPECT_EQ(parse(c.wire, parsed, error), 0u) << c.name;
        EXPECT_NE(error.find(c.error), std::string::npos) << c.name << ": " << error;
    }
}

TEST(AddressCodec, EveryPrefixOfAValidAddressIsTruncated) {
    Bytes wire;
    append_address(wire, {"example.com", std::nullopt, 443});
    for (std::size_t size = 0; size < wire.size(); ++size) {
        HostPort parsed;
        std::string error;
        EXPECT_EQ(parse(Bytes(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(size)),
                        parsed, error),
                  0u)
            << size;
    }
}

}  // namespace
}  // namespace shunt::outbound

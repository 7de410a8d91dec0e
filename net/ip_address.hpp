// IPv4/IPv6 addresses, prefixes and endpoints as plain values.
//
// shunt keeps its own small address type instead of boost::asio::ip::address so that
// config, pool and rules code need no Asio headers (build time on small machines).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shunt {

class IpAddress {
  public:
    enum class Family : std::uint8_t { v4, v6 };

    IpAddress() = default;  // 0.0.0.0
    static IpAddress from_v4(std::uint32_t host_order);
    static IpAddress from_v6(const std::array<std::uint8_t, 16>& bytes);
    // Accepts dotted quads and RFC 4291 text; no brackets, no zone ids.
    static std::optional<IpAddress> parse(std::string_view text);

    Family family() const { return family_; }
    bool is_v4() const { return family_ == Family::v4; }
    bool is_v6() const { return family_ == Family::v6; }
    // Host-order value of an IPv4 address (0 for IPv6).
    std::uint32_t v4() const;
    // 16 bytes for IPv6; for IPv4 the first four bytes hold the address in network order.
    const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
    // bytes() as one big-endian 128-bit number: prefix arithmetic without byte loops.
    unsigned __int128 to_u128() const;
    static IpAddress from_v6_u128(unsigned __int128 value);
    std::string to_string() const;
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it carries; any
    // other address as it is.
    IpAddress unmapped() const;
    // 127.0.0.0/8 or ::1 (an IPv4-mapped 127.x too): only this machine can reach it.
    bool is_loopback() const;
    // 0.0.0.0 or ::, "any address" in a listen or DNS hijack entry.
    bool is_unspecified() const;

    friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;

  private:
    Family family_ = Family::v4;
    std::array<std::uint8_t, 16> bytes_{};
};

// A CIDR prefix. The base address is stored with its host bits cleared.
class Prefix {
  public:
    Prefix() = default;
    Prefix(IpAddress base, int length);
    // "198.18.0.0/15", "fd00::/8"; a bare address is a host prefix.
    static std::optional<Prefix> parse(std::string_view text);

    const IpAddress& base() const { return base_; }
    int length() const { return length_; }
    IpAddress::Family family() const { return base_.family(); }
    bool contains(const IpAddress& address) const;
    // Number of addresses in the prefix, saturated at 2^64 - 1.
    std::uint64_t size() const;
    // The address `offset` places after the base (offset < size()).
    IpAddress at(std::uint64_t offset) const;
    // Inverse of at(): the offset of an address inside the prefix.
    std::optional<std::uint64_t> offset_of(const IpAddress& address) const;
    std::string to_string() const;

    friend bool operator==(const Prefix&, const Prefix&) = default;

  private:
    IpAddress base_;
    int length_ = 0;
};

struct Endpoint {
    IpAddress address;
    std::uint16_t port = 0;

    // "127.0.0.1:53", "[::1]:53"; without a port, `default_port` is used when nonzero.
    static std::optional<Endpoint> parse(std::string_view text, std::uint16_t default_port = 0);
    std::string to_string() const;
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

}  // namespace shunt

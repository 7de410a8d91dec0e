// The Internet checksum (RFC 1071) and the pseudo-headers UDP, TCP and ICMPv6 add to it.
// Built packets need it; parsed packets from the TUN are not checked (the kernel made them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/byte_order.hpp"
#include "net/ip_address.hpp"

namespace shunt::netstack {

// A one's-complement sum fed in pieces. Pieces may have odd lengths: a trailing byte is
// kept and paired with the first byte of the next piece, so splitting a message anywhere
// gives the same result as summing it whole.
class ChecksumAccumulator {
  public:
    void add(std::span<const std::uint8_t> bytes);
    void add_u16(std::uint16_t value);
    void add_u32(std::uint32_t value);
    // The checksum to store in a header: the complement of the folded sum (an odd final
    // byte is padded with zero, as RFC 1071 says).
    std::uint16_t finish() const;

  private:
    std::uint64_t sum_ = 0;
    bool odd_ = false;  // a high byte is waiting for its low byte
};

// Checksum of `bytes` alone (IPv4 header, ICMPv4 message).
std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes);

// Adds the pseudo-header of RFC 768 (IPv4) or RFC 8200 section 8.1 (IPv6) for a transport
// segment of `length` bytes. Source and destination must be of the same family.
void add_pseudo_header(ChecksumAccumulator& sum, const IpAddress& source,
                       const IpAddress& destination, std::uint8_t protocol, std::uint32_t length);

// Checksum of a whole transport segment (UDP, TCP, ICMPv6) including its pseudo-header.
// Computed over the segment as it is: zero the checksum field first to compute one, or
// leave it in place to verify one (a correct segment then yields 0).
std::uint16_t transport_checksum(const IpAddress& source, const IpAddress& destination,
                                 std::uint8_t protocol, std::span<const std::uint8_t> segment);

}  // namespace shunt::netstack

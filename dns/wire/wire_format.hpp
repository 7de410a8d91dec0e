// DNS wire-format constants shared by the query parser and the
// response writer (RFC 1035 section 4.1, RFC 6891 for OPT).
//
// The fake-answer path does not go through ldns: these few constants and the byte order helpers
// (net/byte_order.hpp) are all it needs, and they cost nothing per query.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/byte_order.hpp"

namespace shunt::dns {

inline constexpr std::size_t kHeaderSize = 12;
// Whole name on the wire, length octets and the root terminator included.
inline constexpr std::size_t kMaxWireNameLength = 255;
inline constexpr std::size_t kMaxWireLabelLength = 63;

// Byte offsets of the header fields.
inline constexpr std::size_t kIdOffset = 0;
inline constexpr std::size_t kFlagsOffset = 2;
inline constexpr std::size_t kQdcountOffset = 4;
inline constexpr std::size_t kAncountOffset = 6;
inline constexpr std::size_t kNscountOffset = 8;
inline constexpr std::size_t kArcountOffset = 10;

inline constexpr std::uint16_t kTypeA = 1;
inline constexpr std::uint16_t kTypeNs = 2;
inline constexpr std::uint16_t kTypePtr = 12;
inline constexpr std::uint16_t kTypeAaaa = 28;
inline constexpr std::uint16_t kTypeOpt = 41;
inline constexpr std::uint16_t kClassIn = 1;

inline constexpr std::uint8_t kOpcodeQuery = 0;

// RFC 6891: a requestor's payload size below 512 is treated as 512.
inline constexpr std::uint16_t kMinUdpPayload = 512;
// What shunt advertises in its own OPT RR: the DNS flag day 2020 value, which avoids
// IP fragmentation on every common path.
inline constexpr std::uint16_t kAdvertisedUdpPayload = 1232;

// Owner name of every answer record: a compression pointer to the question name, which
// always starts right after the header.
inline constexpr std::uint16_t kPointerToQuestionName = 0xC000 | kHeaderSize;

// Bits of the 16-bit flags word of the header.
namespace header_flag {
inline constexpr std::uint16_t qr = 0x8000;
inline constexpr std::uint16_t aa = 0x0400;
inline constexpr std::uint16_t tc = 0x0200;
inline constexpr std::uint16_t rd = 0x0100;
inline constexpr std::uint16_t ra = 0x0080;
inline constexpr std::uint16_t ad = 0x0020;
inline constexpr std::uint16_t cd = 0x0010;
inline constexpr int opcode_shift = 11;
inline constexpr std::uint16_t opcode_mask = 0x7800;
inline constexpr std::uint16_t rcode_mask = 0x000F;
}  // namespace header_flag

// DO bit inside the TTL field of an OPT RR.
inline constexpr std::uint32_t kOptDnssecOk = 0x00008000;

// The header RCODEs shunt sends (4 bits, no extended RCODE needed).
enum class Rcode : std::uint8_t {
    noerror = 0,
    formerr = 1,
    servfail = 2,
    nxdomain = 3,
    notimp = 4,
    refused = 5,
};

}  // namespace shunt::dns

// The header every datagram to and from a SOCKS5 UDP relay carries (RFC 1928 section 7):
// RSV (2 bytes, zero), FRAG, then the address (ATYP, DST.ADDR, DST.PORT), then the payload.
// shunt never fragments; received fragments (FRAG != 0) are dropped, as the RFC allows an
// implementation that does not support fragmentation to do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "outbound/socks5/socks5_address.hpp"

namespace shunt::outbound {

// Appends the header for a datagram to (or from) `address`; false when the address cannot
// be encoded (domain too long), nothing appended then.
bool append_socks5_udp_header(const HostPort& address, std::vector<std::uint8_t>& out);

enum class Socks5UdpDecodeStatus : std::uint8_t {
    ok,
    fragment,   // FRAG != 0: dropped
    malformed,  // too short, RSV != 0, unknown ATYP, empty domain
};

struct Socks5UdpDatagram {
    Socks5UdpDecodeStatus status = Socks5UdpDecodeStatus::malformed;
    HostPort address;                       // valid when status == ok
    std::span<const std::uint8_t> payload;  // points into the decoded bytes
};

Socks5UdpDatagram decode_socks5_udp_datagram(std::span<const std::uint8_t> datagram);

}  // namespace shunt::outbound

#include "netstack/packet/ip_packet.hpp"

#include <array>
#include <cstring>

#include "netstack/packet/checksum.hpp"

namespace shunt::netstack {

namespace {

constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv6Header = 40;

constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragment = 44;
constexpr std::uint8_t kAuthentication = 51;
constexpr std::uint8_t kDestinationOptions = 60;

IpAddress v4_at(const std::uint8_t* at) {
    return IpAddress::from_v4((std::uint32_t{at[0]} << 24) | (std::uint32_t{at[1]} << 16) |
                              (std::uint32_t{at[2]} << 8) | at[3]);
}

IpAddress v6_at(const std::uint8_t* at) {
    std::array<std::uint8_t, 16> bytes;
    std::memcpy(bytes.data(), at, bytes.size());
    return IpAddress::from_v6(bytes);
}

// `first_fragment`: an IPv4 first fragment (MF, offset 0) parses as if it were whole.
IpParseResult parse_v4(std::span<const std::uint8_t> buffer, bool first_fragment) {
    IpParseResult result;
    if (buffer.size() < kIpv4MinHeader) {
        result.status = IpParseStatus::truncated_header;
        return result;
    }
    const std::size_t header_length = std::size_t{buffer[0] & 0x0fu} * 4;
    const std::size_t total_length = read_u16(&buffer[2]);
    if (header_length < kIpv4MinHeader) {
        result.status = IpParseStatus::bad_header_length;
        return result;
    }
    if (header_length > buffer.size()) {
        result.status = IpParseStatus::truncated_header;
        return result;
    }
    if (total_length > buffer.size()) {
        result.status = IpParseStatus::bad_total_length;
        return result;
    }
    if (total_length < header_length) {
        result.status = IpParseStatus::bad_header_length;
        return result;
    }
    IpPacketView& view = result.view;
    view.source = v4_at(&buffer[12]);
    view.destination = v4_at(&buffer[16]);
    view.protocol = buffer[9];
    view.ttl = buffer[8];
    const std::uint16_t flags_and_offset = read_u16(&buffer[6]);
    const bool more_fragments = (flags_and_offset & 0x2000) != 0;
    const bool has_offset = (flags_and_offset & 0x1fff) != 0;
    if (has_offset || (more_fragments && !first_fragment)) {
        result.status = IpParseStatus::fragment;
        return result;
    }
    view.packet = buffer.first(total_length);
    view.payload = view.packet.subspan(header_length);
    result.status = IpParseStatus::ok;
    return result;
}

IpParseResult parse_v6(std::span<const std::uint8_t> buffer) {
    IpParseResult result;
    if (buffer.size() < kIpv6Header) {
        result.status = IpParseStatus::truncated_header;
        return result;
    }
    const std::size_t total_length = kIpv6Header + read_u16(&buffer[4]);
    if (total_length > buffer.size()) {
        result.status = IpParseStatus::bad_total_length;
        return result;
    }
    IpPacketView& view = result.view;
    view.source = v6_at(&buffer[8]);
    view.destination = v6_at(&buffer[24]);
    view.ttl = buffer[7];
    view.packet = buffer.first(total_length);

    std::uint8_t next = buffer[6];
    std::size_t offset = kIpv6Header;
    for (int seen = 0;; ++seen) {
        const bool skippable = next == kHopByHop || next == kRouting ||
                               next == kDestinationOptions || next == kAuthentication;
        if (next == kFragment) {
            result.status = IpParseStatus::fragment;
            return result;
        }
        if (!skippable) break;
        if (seen == kMaxExtensionHeaders) {
            result.status = IpParseStatus::too_many_extension_headers;
            return result;
        }
        // RFC 8200 4.3: hop-by-hop options only directly after the fixed header.
        if (next == kHopByHop && seen != 0) {
            result.status = IpParseStatus::bad_extension_header;
            return result;
        }
        if (offset + 2 > total_length) {
            result.status = IpParseStatus::bad_extension_header;
            return result;
        }
        // AH counts its length in 4-byte units minus 2; the others in 8-byte units minus 1.
        const std::size_t length = next == kAuthentication
                                       ? (std::size_t{buffer[offset + 1]} + 2) * 4
                                       : (std::size_t{buffer[offset + 1]} + 1) * 8;
        if (offset + length > total_length) {
            result.status = IpParseStatus::bad_extension_header;
            return result;
        }
        next = buffer[offset];
        offset += length;
    }
    view.protocol = next;
    view.payload = view.packet.subspan(offset);
    result.status = IpParseStatus::ok;
    return result;
}

}  // namespace

std::string_view to_string(IpParseStatus status) {
    switch (status) {
        case IpParseStatus::ok:
            return "ok";
        case IpParseStatus::empty:
            return "empty";
        case IpParseStatus::bad_version:
            return "bad version";
        case IpParseStatus::truncated_header:
            return "truncated header";
        case IpParseStatus::bad_header_length:
            return "bad header length";
        case IpParseStatus::bad_total_length:
            return "bad total length";
        case IpParseStatus::fragment:
            return "fragment";
        case IpParseStatus::bad_extension_header:
            return "bad extension header";
        case IpParseStatus::too_many_extension_headers:
            return "too many extension headers";
    }
    return "unknown";
}

IpParseResult parse_ip_packet(std::span<const std::uint8_t> packet) {
    if (packet.empty()) return {};
    switch (packet[0] >> 4) {
        case 4:
            return parse_v4(packet, /*first_fragment=*/false);
        case 6:
            return parse_v6(packet);
        default: {
            IpParseResult result;
            result.status = IpParseStatus::bad_version;
            return result;
        }
    }
}

IpParseResult parse_first_fragment(std::span<const std::uint8_t> packet) {
    if (!packet.empty() && (packet[0] >> 4) == 4) return parse_v4(packet, /*first_fragment=*/true);
    return parse_ip_packet(packet);
}

}  // namespace shunt::netstack

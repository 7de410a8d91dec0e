// Small builders of raw packets for the packet tests: hand-made headers, so the parser is
// checked against bytes written independently of the code under test.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace shunt::netstack::test {

// An IPv4 header of `ihl` words (options zero-filled) followed by `payload_size` bytes.
inline std::vector<std::uint8_t> raw_ipv4(std::uint8_t protocol, std::size_t payload_size,
                                          int ihl = 5) {
    std::vector<std::uint8_t> packet(static_cast<std::size_t>(ihl) * 4 + payload_size, 0);
    const std::size_t total = packet.size();
    packet[0] = static_cast<std::uint8_t>(0x40 | ihl);
    packet[2] = static_cast<std::uint8_t>(total >> 8);
    packet[3] = static_cast<std::uint8_t>(total);
    packet[8] = 64;
    packet[9] = protocol;
    const std::uint8_t source[4] = {198, 18, 0, 1};
    const std::uint8_t destination[4] = {198, 18, 3, 4};
    for (int i = 0; i < 4; ++i) {
        packet[12 + i] = source[i];
        packet[16 + i] = destination[i];
    }
    for (std::size_t i = 0; i < payload_size; ++i) {
        packet[static_cast<std::size_t>(ihl) * 4 + i] = static_cast<std::uint8_t>(i);
    }
    return packet;
}

// An IPv6 packet fd00:5::1 -> fd00:5::9 whose chain is `extensions` (each: next-header
// value of the header itself, then its length in bytes, a multiple of 8) ending in
// `protocol` with `payload_size` bytes.
struct Extension {
    std::uint8_t type;
    std::size_t length;
};
inline std::vector<std::uint8_t> raw_ipv6(std::uint8_t protocol, std::size_t payload_size,
                                          std::initializer_list<Extension> extensions = {}) {
    std::vector<std::uint8_t> packet(40, 0);
    packet[0] = 0x60;
    packet[7] = 64;
    packet[8] = 0xfd;
    packet[23] = 1;
    packet[24] = 0xfd;
    packet[39] = 9;
    packet[9] = packet[25] = 0;
    packet[11] = packet[27] = 5;
    std::size_t next_offset = 6;
    for (const Extension& extension : extensions) {
        packet[next_offset] = extension.type;
        const std::size_t at = packet.size();
        packet.resize(at + extension.length, 0);
        packet[at + 1] = static_cast<std::uint8_t>(extension.length / 8 - 1);
        next_offset = at;
    }
    packet[next_offset] = protocol;
    for (std::size_t i = 0; i < payload_size; ++i) {
        packet.push_back(static_cast<std::uint8_t>(i));
    }
    const std::size_t payload_length = packet.size() - 40;
    packet[4] = static_cast<std::uint8_t>(payload_length >> 8);
    packet[5] = static_cast<std::uint8_t>(payload_length);
    return packet;
}

}  // namespace shunt::netstack::test

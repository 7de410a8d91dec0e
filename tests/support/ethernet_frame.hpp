// Ethernet frames for BPF_PROG_TEST_RUN (the eBPF bypass's tests and benchmark): one
// TCP or UDP packet with the headers a test wants to vary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace shunt::test {

// One frame: Ethernet, optional VLAN tags, IPv4 or IPv6 (optionally with extension
// headers), TCP or UDP. Checksums are not filled: the program never reads them.
struct Frame {
    std::vector<std::uint16_t> vlan_tpids;  // outer first
    std::string source = "192.168.1.10";
    std::string destination = "203.0.113.5";
    std::uint8_t protocol = 6;  // TCP
    std::uint16_t source_port = 40000;
    std::uint16_t destination_port = 443;
    bool syn = true;
    std::uint16_t fragment = 0;      // IPv4 flags+offset field (host order)
    std::vector<std::uint8_t> ext6;  // IPv6: extension header types, in order
    std::size_t cut = 0;             // bytes removed from the end

    std::vector<std::uint8_t> bytes() const;
};

}  // namespace shunt::test

#include "netstack/packet/ip_header_writer.hpp"

#include <cstring>

#include "netstack/packet/checksum.hpp"

namespace shunt::netstack {

std::size_t write_ip_header(std::span<std::uint8_t> out, const IpAddress& source,
                            const IpAddress& destination, std::uint8_t protocol,
                            std::size_t transport_size, std::uint8_t ttl) {
    std::uint8_t* header = out.data();
    if (source.is_v4()) {
        std::memset(header, 0, kIpv4HeaderSize);
        header[0] = 0x45;  // version 4, IHL 5
        write_u16(&header[2], static_cast<std::uint16_t>(kIpv4HeaderSize + transport_size));
        header[6] = 0x40;  // DF
        header[8] = ttl;
        header[9] = protocol;
        std::memcpy(&header[12], source.bytes().data(), 4);
        std::memcpy(&header[16], destination.bytes().data(), 4);
        write_u16(&header[10], internet_checksum(std::span(header, kIpv4HeaderSize)));
        return kIpv4HeaderSize;
    }
    std::memset(header, 0, 8);
    header[0] = 0x60;  // version 6, traffic class and flow label 0
    write_u16(&header[4], static_cast<std::uint16_t>(transport_size));
    header[6] = protocol;
    header[7] = ttl;
    std::memcpy(&header[8], source.bytes().data(), 16);
    std::memcpy(&header[24], destination.bytes().data(), 16);
    return kIpv6HeaderSize;
}

}  // namespace shunt::netstack

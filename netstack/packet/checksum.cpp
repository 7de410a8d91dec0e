#include "netstack/packet/checksum.hpp"

namespace shunt::netstack {

void ChecksumAccumulator::add(std::span<const std::uint8_t> bytes) {
    std::size_t i = 0;
    if (odd_ && !bytes.empty()) {
        sum_ += bytes[0];
        odd_ = false;
        i = 1;
    }
    // 64-bit accumulator: 2^48 16-bit words before it could overflow, far beyond any packet.
    for (; i + 1 < bytes.size(); i += 2) sum_ += read_u16(&bytes[i]);
    if (i < bytes.size()) {
        sum_ += static_cast<std::uint64_t>(bytes[i]) << 8;
        odd_ = true;
    }
}

void ChecksumAccumulator::add_u16(std::uint16_t value) {
    const std::uint8_t bytes[2] = {static_cast<std::uint8_t>(value >> 8),
                                   static_cast<std::uint8_t>(value)};
    add(bytes);
}

void ChecksumAccumulator::add_u32(std::uint32_t value) {
    add_u16(static_cast<std::uint16_t>(value >> 16));
    add_u16(static_cast<std::uint16_t>(value));
}

std::uint16_t ChecksumAccumulator::finish() const {
    std::uint64_t folded = sum_;
    while (folded >> 16) folded = (folded & 0xffff) + (folded >> 16);
    return static_cast<std::uint16_t>(~folded);
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) {
    ChecksumAccumulator sum;
    sum.add(bytes);
    return sum.finish();
}

void add_pseudo_header(ChecksumAccumulator& sum, const IpAddress& source,
                       const IpAddress& destination, std::uint8_t protocol, std::uint32_t length) {
    const std::size_t address_size = source.is_v4() ? 4 : 16;
    sum.add(std::span(source.bytes().data(), address_size));
    sum.add(std::span(destination.bytes().data(), address_size));
    if (source.is_v4()) {
        // zero, protocol, 16-bit length
        sum.add_u16(protocol);
        sum.add_u16(static_cast<std::uint16_t>(length));
    } else {
        // 32-bit length, three zero bytes, next header
        sum.add_u32(length);
        sum.add_u32(protocol);
    }
}

std::uint16_t transport_checksum(const IpAddress& source, const IpAddress& destination,
                                 std::uint8_t protocol, std::span<const std::uint8_t> segment) {
    ChecksumAccumulator sum;
    add_pseudo_header(sum, source, destination, protocol,
                      static_cast<std::uint32_t>(segment.size()));
    sum.add(segment);
    return sum.finish();
}

}  // namespace shunt::netstack

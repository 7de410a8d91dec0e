// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) for the fake-IP store's
// record checksums. Written here rather than taken from zlib to keep shunt_dns free of
// another link dependency for a dozen lines of code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace shunt::dns {

// CRC of `data`; pass a previous result as `crc` to continue over split input.
std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

}  // namespace shunt::dns

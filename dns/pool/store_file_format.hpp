// Byte layout of the fake-IP store file (docs/fake-ip-store.md): a 16-byte header, then
// self-checking records. Pure encode/decode, no I/O, so the format is testable alone.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "dns/pool/pool_store.hpp"

namespace shunt::dns::store_format {

inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::size_t kMaxNameLength = 255;
// kind + family + name length + IPv6 address + name + CRC.
inline constexpr std::size_t kMaxRecordSize = 3 + 16 + kMaxNameLength + 4;

std::array<std::uint8_t, kHeaderSize> encode_header();

enum class HeaderStatus {
    valid,
    torn,           // shorter than a header and a prefix of a valid one: a crash at creation
    corrupt,        // wrong magic or CRC
    newer_version,  // a valid header of a format this build cannot read
};
// `file` is the file's content (or at least its first kHeaderSize bytes).
HeaderStatus check_header(std::span<const std::uint8_t> file);

// Encodes `record` (an empty name is a release) into `out`; returns the byte count.
// Throws std::invalid_argument for a name over kMaxNameLength.
std::size_t encode_record(const PoolRecord& record, std::span<std::uint8_t, kMaxRecordSize> out);

enum class RecordStatus {
    valid,
    torn,     // the record runs past the end of the data, or the rest is all zero bytes
    corrupt,  // complete but with a bad kind, family, length or CRC
};
struct DecodedRecord {
    RecordStatus status = RecordStatus::corrupt;
    PoolRecord record;         // views into the decoded bytes when valid
    std::size_t size = 0;      // bytes the record occupies when valid
    const char* problem = "";  // why, when corrupt
};
// Decodes the record at the start of `data` (which extends to the end of the file).
DecodedRecord decode_record(std::span<const std::uint8_t> data);

}  // namespace shunt::dns::store_format

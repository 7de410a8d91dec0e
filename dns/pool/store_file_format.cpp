#include "dns/pool/store_file_format.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "dns/pool/crc32.hpp"

namespace shunt::dns::store_format {

namespace {

constexpr std::array<std::uint8_t, 8> kMagic = {'S', 'H', 'U', 'N', 'T', 'F', 'I', 'P'};
constexpr std::uint8_t kKindAssign = 0xA1;
constexpr std::uint8_t kKindRelease = 0xA2;

void put_u16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
}

void put_u32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint16_t get_u16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

std::uint32_t get_u32(const std::uint8_t* p) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

bool all_zero(std::span<const std::uint8_t> data) {
    return std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

std::array<std::uint8_t, kHeaderSize> encode_header() {
    std::array<std::uint8_t, kHeaderSize> header{};
    std::memcpy(header.data(), kMagic.data(), kMagic.size());
    put_u16(header.data() + 8, kVersion);
    put_u16(header.data() + 10, 0);
    put_u32(header.data() + 12, crc32(std::span(header.data(), 12)));
    return header;
}

HeaderStatus check_header(std::span<const std::uint8_t> file) {
    if (file.size() < kHeaderSize) {
        auto expected = encode_header();
        return std::equal(file.begin(), file.end(), expected.begin()) ? HeaderStatus::torn
                                                                      : HeaderStatus::corrupt;
    }
    if (!std::equal(kMagic.begin(), kMagic.end(), file.begin())) return HeaderStatus::corrupt;
    if (get_u32(file.data() + 12) != crc32(file.first(12))) return HeaderStatus::corrupt;
    if (get_u16(file.data() + 8) > kVersion) return HeaderStatus::newer_version;
    if (get_u16(file.data() + 8) != kVersion) return HeaderStatus::corrupt;
    return HeaderStatus::valid;
}

std::size_t encode_record(const PoolRecord& record, std::span<std::uint8_t, kMaxRecordSize> out) {
    if (record.name.size() > kMaxNameLength)
        throw std::invalid_argument("fake-IP store: name longer than 255 bytes");
    std::uint8_t* p = out.data();
    const std::size_t address_size = record.address.is_v4() ? 4 : 16;
    *p++ = record.is_release() ? kKindRelease : kKindAssign;
    *p++ = record.address.is_v4() ? 4 : 6;
    *p++ = static_cast<std::uint8_t>(record.name.size());
    std::memcpy(p, record.address.bytes().data(), address_size);
    p += address_size;
    if (!record.name.empty()) std::memcpy(p, record.name.data(), record.name.size());
    p += record.name.size();
    const auto body = static_cast<std::size_t>(p - out.data());
    put_u32(p, crc32(std::span(out.data(), body)));
    return body + 4;
}

DecodedRecord decode_record(std::span<const std::uint8_t> data) {
    DecodedRecord result;
    auto corrupt = [&](const char* problem) {
        result.status = RecordStatus::corrupt;
        result.problem = problem;
        return result;
    };
    // A power cut can leave the file longer than the data that reached the disk, read
    // back as zeros. Zero is not a valid kind, so a zero run to the end is never data.
    if (data.empty() || all_zero(data)) {
        result.status = RecordStatus::torn;
        return result;
    }
    const std::uint8_t kind = data[0];
    if (kind != kKindAssign && kind != kKindRelease) return corrupt("unknown record kind");
    if (data.size() < 3) {
        result.status = RecordStatus::torn;
        return result;
    }
    const std::uint8_t family = data[1];
    if (family != 4 && family != 6) return corrupt("unknown address family");
    const std::size_t name_length = data[2];
    if ((kind == kKindAssign) != (name_length > 0)) return corrupt("bad name length");
    const std::size_t address_size = family == 4 ? 4 : 16;
    const std::size_t size = 3 + address_size + name_length + 4;
    if (data.size() < size) {
        result.status = RecordStatus::torn;
        return result;
    }
    if (get_u32(data.data() + size - 4) != crc32(data.first(size - 4)))
        return corrupt("checksum mismatch");

    const std::uint8_t* address = data.data() + 3;
    if (family == 4) {
        result.record.address = IpAddress::from_v4((std::uint32_t{address[0]} << 24) |
                                                   (std::uint32_t{address[1]} << 16) |
                                                   (std::uint32_t{address[2]} << 8) | address[3]);
    } else {
        std::array<std::uint8_t, 16> bytes;
        std::memcpy(bytes.data(), address, 16);
        result.record.address = IpAddress::from_v6(bytes);
    }
    result.record.name =
        std::string_view(reinterpret_cast<const char*>(address + address_size), name_length);
    result.status = RecordStatus::valid;
    result.size = size;
    return result;
}

}  // namespace shunt::dns::store_format

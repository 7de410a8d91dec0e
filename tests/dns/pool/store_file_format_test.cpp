#include "dns/pool/store_file_format.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/pool/crc32.hpp"
#include "tests/dns/pool/pool_test_util.hpp"

namespace shunt::dns {
namespace {

namespace fmt_ = store_format;
using test::address;

std::vector<std::uint8_t> encode(const PoolRecord& record) {
    std::array<std::uint8_t, fmt_::kMaxRecordSize> buffer;
    auto length = fmt_::encode_record(record, buffer);
    return {buffer.begin(), buffer.begin() + length};
}

TEST(Crc32, MatchesTheStandardCheckValue) {
    std::string input = "123456789";
    auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    EXPECT_EQ(crc32(bytes), 0xCBF43926u);
    EXPECT_EQ(crc32(bytes.subspan(4), crc32(bytes.first(4))), 0xCBF43926u);
    EXPECT_EQ(crc32({}), 0u);
}

TEST(StoreFileFormat, HeaderRoundTripsAndRejectsDamage) {
    auto header = fmt_::encode_header();
    EXPECT_EQ(fmt_::check_header(header), fmt_::HeaderStatus::valid);
    EXPECT_EQ(fmt_::check_header(std::span(header).first(5)), fmt_::HeaderStatus::torn);
    for (std::size_t i = 0; i < header.size(); ++i) {
        auto damaged = header;
        damaged[i] ^= 0x10;
        EXPECT_EQ(fmt_::check_header(damaged), fmt_::HeaderStatus::corrupt) << "byte " << i;
    }
    std::array<std::uint8_t, 3> not_a_header = {'X', 'Y', 'Z'};
    EXPECT_EQ(fmt_::check_header(not_a_header), fmt_::HeaderStatus::corrupt);
}

TEST(StoreFileFormat, RecordsRoundTrip) {
    for (const PoolRecord& record : {PoolRecord{address("198.18.0.7"), "example.com"},
                                     PoolRecord{address("fc00::1:2"), std::string_view("a")},
                                     PoolRecord{address("198.18.3.4"), {}}}) {
        auto bytes = encode(record);
        EXPECT_EQ(bytes.size(), 3 + (record.address.is_v4() ? 4 : 16) + record.name.size() + 4);
        auto decoded = fmt_::decode_record(bytes);
        ASSERT_EQ(decoded.status, fmt_::RecordStatus::valid);
        EXPECT_EQ(decoded.size, bytes.size());
        EXPECT_EQ(decoded.record.address, record.address);
        EXPECT_EQ(decoded.record.name, record.name);
        EXPECT_EQ(decoded.record.is_release(), record.is_release());
    }
    std::string longest(255, 'x');
    EXPECT_EQ(encode({address("1.2.3.4"), longest}).size(), 3 + 4 + 255 + 4u);
    std::array<std::uint8_t, fmt_::kMaxRecordSize> buffer;
    std::string too_long(256, 'x');
    EXPECT_THROW(fmt_::encode_record({address("1.2.3.4"), too_long}, buffer),
                 std::invalid_argument);
}

TEST(StoreFileFormat, EveryPrefixOfARecordIsTornAndEveryFlipIsCorrupt) {
    auto bytes = encode({address("fc00::9"), "torn.example"});
    for (std::size_t length = 1; length < bytes.size(); ++length)
        EXPECT_EQ(fmt_::decode_record(std::span(bytes).first(length)).status,
                  fmt_::RecordStatus::torn)
            << "prefix " << length;
    // A flip can only look torn when it makes the record claim more bytes than exist.
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (std::uint8_t bit = 1; bit != 0; bit <<= 1) {
            auto damaged = bytes;
            damaged[i] ^= bit;
            damaged.resize(damaged.size() + 300, 0x55);  // more data follows
            auto decoded = fmt_::decode_record(damaged);
            EXPECT_EQ(decoded.status, fmt_::RecordStatus::corrupt)
                << "byte " << i << " bit " << int(bit);
        }
    }
}

TEST(StoreFileFormat, ZeroTailIsTornButZerosBeforeDataAreCorrupt) {
    std::vector<std::uint8_t> zeros(40, 0);
    EXPECT_EQ(fmt_::decode_record(zeros).status, fmt_::RecordStatus::torn);
    zeros.push_back(1);
    EXPECT_EQ(fmt_::decode_record(zeros).status, fmt_::RecordStatus::corrupt);
}

}  // namespace
}  // namespace shunt::dns

#include "dns/resolve/message_scan.hpp"

namespace shunt::dns {

namespace {

// Offset just past the name starting at `at`, or nullopt. A compression pointer ends
// the name in place (its target is not followed, so loops cannot hang the scan).
std::optional<std::size_t> skip_name(std::span<const std::uint8_t> wire, std::size_t at) {
    std::size_t name_length = 0;
    while (true) {
        if (at >= wire.size()) return std::nullopt;
        std::uint8_t length = wire[at];
        if ((length & 0xC0) == 0xC0) {
            if (at + 2 > wire.size()) return std::nullopt;
            return at + 2;
        }
        if (length & 0xC0) return std::nullopt;  // 0x40 / 0x80: obsolete label types
        if (length == 0) return at + 1;
        name_length += length + 1u;
        if (name_length > 255) return std::nullopt;
        at += 1u + length;
    }
}

std::optional<ScannedMessage> scan_header_and_question(std::span<const std::uint8_t> wire,
                                                       std::size_t& at) {
    if (wire.size() < kHeaderSize) return std::nullopt;
    ScannedMessage message;
    message.id = read_u16(wire.data() + 0);
    message.flags = read_u16(wire.data() + 2);
    if (read_u16(wire.data() + 4) != 1) return std::nullopt;
    message.answer_count = read_u16(wire.data() + 6);
    auto name_end = skip_name(wire, kHeaderSize);
    if (!name_end || *name_end + 4 > wire.size()) return std::nullopt;
    message.qtype = read_u16(wire.data() + *name_end);
    message.qclass = read_u16(wire.data() + *name_end + 2);
    message.question_end = *name_end + 4;
    at = message.question_end;
    return message;
}

}  // namespace

unsigned ScannedMessage::rcode() const {
    unsigned code = flags & header_flag::rcode_mask;
    if (auto* record = opt()) code |= (record->ttl >> 24) << 4;
    return code;
}

std::optional<ScannedMessage> scan_question(std::span<const std::uint8_t> wire) {
    std::size_t at = 0;
    return scan_header_and_question(wire, at);
}

std::optional<ScannedMessage> scan_message(std::span<const std::uint8_t> wire) {
    std::size_t at = 0;
    auto message = scan_header_and_question(wire, at);
    if (!message) return std::nullopt;
    const std::uint16_t counts[3] = {read_u16(wire.data() + 6), read_u16(wire.data() + 8),
                                     read_u16(wire.data() + 10)};
    // Every RR takes at least 11 bytes: bail out before reserving for absurd counts.
    std::size_t total = std::size_t{counts[0]} + counts[1] + counts[2];
    if (total * 11 > wire.size() - at) return std::nullopt;
    message->records.reserve(total);

    for (int section = 0; section < 3; ++section) {
        for (std::uint16_t i = 0; i < counts[section]; ++i) {
            auto name_end = skip_name(wire, at);
            if (!name_end || *name_end + 10 > wire.size()) return std::nullopt;
            ScannedRecord record;
            record.section = static_cast<Section>(section);
            record.type = read_u16(wire.data() + *name_end);
            record.klass = read_u16(wire.data() + *name_end + 2);
            record.ttl_offset = *name_end + 4;
            record.ttl = read_u32(wire.data() + record.ttl_offset);
            record.rdata_length = read_u16(wire.data() + *name_end + 8);
            record.rdata_offset = *name_end + 10;
            if (record.rdata_offset + record.rdata_length > wire.size()) return std::nullopt;
            if (record.type == kTypeOpt) {
                // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
                if (message->opt_index || record.section != Section::additional || wire[at] != 0)
                    return std::nullopt;
                message->opt_index = message->records.size();
            }
            message->records.push_back(record);
            at = record.rdata_offset + record.rdata_length;
        }
    }
    return message;
}

std::vector<IpAddress> scanned_addresses(std::span<const std::uint8_t> wire,
                                         const ScannedMessage& message) {
    std::vector<IpAddress> addresses;
    for (const auto& record : message.records) {
        if (record.section != Section::answer || record.klass != kClassIn) continue;
        if (record.type == kTypeA && record.rdata_length == 4) {
            addresses.push_back(IpAddress::from_v4(read_u32(wire.data() + record.rdata_offset)));
        } else if (record.type == kTypeAaaa && record.rdata_length == 16) {
            std::array<std::uint8_t, 16> bytes;
            for (std::size_t i = 0; i < 16; ++i) bytes[i] = wire[record.rdata_offset + i];
            addresses.push_back(IpAddress::from_v6(bytes));
        }
    }
    return addresses;
}

std::vector<IpAddress> answer_addresses(std::span<const std::uint8_t> wire) {
    auto message = scan_message(wire);
    if (!message) return {};
    return scanned_addresses(wire, *message);
}

}  // namespace shunt::dns

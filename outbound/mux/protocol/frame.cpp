// Parsing side of the frame layer: header validation and the typed payloads.
#include "outbound/mux/protocol/frame.hpp"

#include <array>
#include <cstdio>

#include "net/byte_order.hpp"

namespace shunt::outbound::mux {

namespace {

// What the header of each type must look like. Checked as soon as the 6 header bytes are
// there, so a broken peer is caught before we buffer up to 64 KiB of its payload.
struct FrameRule {
    bool carrier;  // stream id must be 0 (else: must not be 0)
    std::uint16_t min_length;
    std::uint16_t max_length;
};

constexpr std::uint16_t kMaxCodeReason = 1 + kMaxReason;

constexpr FrameRule rule_for(FrameType type) {
    switch (type) {
        case FrameType::open:
            return {false, 1 + kMinWireAddressSize, 1 + kMaxWireAddressSize};
        case FrameType::open_result:
        case FrameType::reset:
            return {false, 1, kMaxCodeReason};
        case FrameType::data:
            return {false, 1, kMaxPayload};
        case FrameType::window_update:
            return {false, 4, 4};
        case FrameType::fin:
            return {false, 0, 0};
        case FrameType::ping:
        case FrameType::pong:
            return {true, kPingSize, kPingSize};
        case FrameType::goaway:
            return {true, 1, kMaxCodeReason};
        case FrameType::datagram:
            return {false, kMinWireAddressSize, kMaxPayload};
    }
    return {false, 0, 0};
}

bool known_type(std::uint8_t type) {
    return type >= static_cast<std::uint8_t>(FrameType::open) &&
           type <= static_cast<std::uint8_t>(FrameType::datagram);
}

std::string hex_byte(std::uint8_t value) {
    std::array<char, 5> text{};
    std::snprintf(text.data(), text.size(), "0x%02x", value);
    return text.data();
}

}  // namespace

std::string_view to_string(FrameType type) {
    switch (type) {
        case FrameType::open:
            return "OPEN";
        case FrameType::open_result:
            return "OPEN_RESULT";
        case FrameType::data:
            return "DATA";
        case FrameType::window_update:
            return "WINDOW_UPDATE";
        case FrameType::fin:
            return "FIN";
        case FrameType::reset:
            return "RESET";
        case FrameType::ping:
            return "PING";
        case FrameType::pong:
            return "PONG";
        case FrameType::goaway:
            return "GOAWAY";
        case FrameType::datagram:
            return "DATAGRAM";
    }
    return "unknown";
}

std::string_view to_string(ResultCode code) {
    switch (code) {
        case ResultCode::ok:
            return "ok";
        case ResultCode::failure:
            return "general failure";
        case ResultCode::refused:
            return "connection refused";
        case ResultCode::network_unreachable:
            return "network unreachable";
        case ResultCode::host_unreachable:
            return "host unreachable";
        case ResultCode::timed_out:
            return "timed out";
        case ResultCode::name_not_resolved:
            return "name not resolved";
        case ResultCode::not_allowed:
            return "not allowed";
        case ResultCode::too_many_streams:
            return "too many streams";
        case ResultCode::flow_control:
            return "flow-control error";
        case ResultCode::cancelled:
            return "cancelled";
        case ResultCode::stalled:
            return "stalled";
    }
    return "unknown";
}

ParseStatus parse_frame(std::span<const std::uint8_t> input, Frame& frame, std::size_t& consumed,
                        std::string& error) {
    if (input.size() < kHeaderSize) return ParseStatus::incomplete;
    const std::uint8_t raw_type = input[0];
    if (!known_type(raw_type)) {
        error = "unknown frame type " + hex_byte(raw_type);
        return ParseStatus::invalid;
    }
    const auto type = static_cast<FrameType>(raw_type);
    const std::uint16_t stream = read_u16(input.data() + 2);
    const std::uint16_t length = read_u16(input.data() + 4);
    const FrameRule rule = rule_for(type);
    if (rule.carrier && stream != 0) {
        error = std::string(to_string(type)) + " on stream " + std::to_string(stream) +
                " (a carrier frame must use stream 0)";
        return ParseStatus::invalid;
    }
    if (!rule.carrier && stream == 0) {
        error = std::string(to_string(type)) + " on stream 0 (reserved for the carrier)";
        return ParseStatus::invalid;
    }
    if (length < rule.min_length || length > rule.max_length) {
        error = std::string(to_string(type)) + " with length " + std::to_string(length) +
                " (allowed " + std::to_string(rule.min_length) + ".." +
                std::to_string(rule.max_length) + ")";
        return ParseStatus::invalid;
    }
    if (input.size() - kHeaderSize < length) return ParseStatus::incomplete;

    const auto payload = input.subspan(kHeaderSize, length);
    if (type == FrameType::window_update && read_u32(payload.data()) == 0) {
        error = "WINDOW_UPDATE with increment 0";
        return ParseStatus::invalid;
    }
    frame.type = type;
    frame.flags = input[1];
    frame.stream = stream;
    frame.payload = payload;
    consumed = kHeaderSize + length;
    return ParseStatus::complete;
}

bool parse_open(std::span<const std::uint8_t> payload, OpenPayload& out, std::string& error) {
    if (payload.empty()) {
        error = "OPEN without a network";
        return false;
    }
    if (payload[0] != static_cast<std::uint8_t>(Network::tcp) &&
        payload[0] != static_cast<std::uint8_t>(Network::udp)) {
        error = "OPEN with unknown network " + std::to_string(payload[0]);
        return false;
    }
    const std::size_t used = parse_address(payload.subspan(1), out.address, error);
    if (used == 0) {
        error = "OPEN: " + error;
        return false;
    }
    if (1 + used != payload.size()) {
        error =
            "OPEN with " + std::to_string(payload.size() - 1 - used) + " bytes after the address";
        return false;
    }
    out.network = static_cast<Network>(payload[0]);
    return true;
}

bool parse_code_reason(std::span<const std::uint8_t> payload, CodeReason& out, std::string& error) {
    if (payload.empty()) {
        error = "missing result code";
        return false;
    }
    if (payload.size() - 1 > kMaxReason) {
        error = "reason longer than " + std::to_string(kMaxReason) + " bytes";
        return false;
    }
    // A code this version does not know is not a protocol error (docs/mux.md does not list
    // it as one): a newer peer may add codes, and whatever they mean, the stream failed.
    out.code = payload[0] <= static_cast<std::uint8_t>(ResultCode::stalled)
                   ? static_cast<ResultCode>(payload[0])
                   : ResultCode::failure;
    out.reason.assign(reinterpret_cast<const char*>(payload.data() + 1), payload.size() - 1);
    return true;
}

std::uint32_t window_increment(const Frame& frame) {
    return frame.payload.size() >= 4 ? read_u32(frame.payload.data()) : 0;
}

bool parse_datagram(std::span<const std::uint8_t> payload, DatagramPayload& out,
                    std::string& error) {
    const std::size_t used = parse_address(payload, out.address, error);
    if (used == 0) {
        error = "DATAGRAM: " + error;
        return false;
    }
    out.data = payload.subspan(used);
    return true;
}

}  // namespace shunt::outbound::mux

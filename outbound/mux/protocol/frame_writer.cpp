// Encoding side of the frame layer (declared in frame.hpp): every function appends one
// whole frame, so a caller can batch several frames into one TLS write.
#include <cassert>

#include "outbound/mux/protocol/frame.hpp"

namespace shunt::outbound::mux {

namespace {

void append_u16(std::vector<std::uint8_t>& out, std::uint16_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

void append_header(std::vector<std::uint8_t>& out, FrameType type, std::uint16_t stream,
                   std::size_t length) {
    assert(length <= kMaxPayload);
    out.push_back(static_cast<std::uint8_t>(type));
    out.push_back(0);  // flags: none in version 1
    append_u16(out, stream);
    append_u16(out, static_cast<std::uint16_t>(length));
}

// Cuts at most kMaxReason bytes without splitting a UTF-8 sequence, so a cut reason is
// still valid text when it was before.
std::string_view cut_reason(std::string_view reason) {
    if (reason.size() <= kMaxReason) return reason;
    std::size_t end = kMaxReason;
    // Back off over continuation bytes (10xxxxxx) to the start of the cut character.
    while (end > 0 && (static_cast<std::uint8_t>(reason[end]) & 0xC0) == 0x80) --end;
    return reason.substr(0, end);
}

void append_code_reason(std::vector<std::uint8_t>& out, FrameType type, std::uint16_t stream,
                        ResultCode code, std::string_view reason) {
    const std::string_view cut = cut_reason(reason);
    append_header(out, type, stream, 1 + cut.size());
    out.push_back(static_cast<std::uint8_t>(code));
    out.insert(out.end(), cut.begin(), cut.end());
}

}  // namespace

void append_open(std::vector<std::uint8_t>& out, std::uint16_t stream, Network network,
                 const HostPort& address) {
    append_header(out, FrameType::open, stream, 1 + wire_address_size(address));
    out.push_back(static_cast<std::uint8_t>(network));
    append_address(out, address);
}

void append_open_result(std::vector<std::uint8_t>& out, std::uint16_t stream, ResultCode code,
                        std::string_view reason) {
    append_code_reason(out, FrameType::open_result, stream, code, reason);
}

void append_data_header(std::vector<std::uint8_t>& out, std::uint16_t stream,
                        std::uint16_t length) {
    append_header(out, FrameType::data, stream, length);
}

void write_data_header(std::uint8_t* at, std::uint16_t stream, std::uint16_t length) {
    at[0] = static_cast<std::uint8_t>(FrameType::data);
    at[1] = 0;
    at[2] = static_cast<std::uint8_t>(stream >> 8);
    at[3] = static_cast<std::uint8_t>(stream & 0xff);
    at[4] = static_cast<std::uint8_t>(length >> 8);
    at[5] = static_cast<std::uint8_t>(length & 0xff);
}

void append_window_update(std::vector<std::uint8_t>& out, std::uint16_t stream,
                          std::uint32_t increment) {
    append_header(out, FrameType::window_update, stream, 4);
    append_u16(out, static_cast<std::uint16_t>(increment >> 16));
    append_u16(out, static_cast<std::uint16_t>(increment & 0xffff));
}

void append_fin(std::vector<std::uint8_t>& out, std::uint16_t stream) {
    append_header(out, FrameType::fin, stream, 0);
}

void append_reset(std::vector<std::uint8_t>& out, std::uint16_t stream, ResultCode code,
                  std::string_view reason) {
    append_code_reason(out, FrameType::reset, stream, code, reason);
}

void append_ping(std::vector<std::uint8_t>& out, std::span<const std::uint8_t, kPingSize> opaque) {
    append_header(out, FrameType::ping, 0, kPingSize);
    out.insert(out.end(), opaque.begin(), opaque.end());
}

void append_pong(std::vector<std::uint8_t>& out, std::span<const std::uint8_t, kPingSize> opaque) {
    append_header(out, FrameType::pong, 0, kPingSize);
    out.insert(out.end(), opaque.begin(), opaque.end());
}

void append_goaway(std::vector<std::uint8_t>& out, ResultCode code, std::string_view reason) {
    append_code_reason(out, FrameType::goaway, 0, code, reason);
}

bool append_datagram(std::vector<std::uint8_t>& out, std::uint16_t stream, const HostPort& address,
                     std::span<const std::uint8_t> data) {
    const std::size_t length = wire_address_size(address) + data.size();
    if (length > kMaxPayload) return false;
    append_header(out, FrameType::datagram, stream, length);
    append_address(out, address);
    out.insert(out.end(), data.begin(), data.end());
    return true;
}

}  // namespace shunt::outbound::mux

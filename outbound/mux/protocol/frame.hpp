// The mux frame layer (docs/mux.md, "Frames"): the 6-byte header, the rules each frame
// type's length and stream id must follow, the typed payloads and the encoders.
//
//   type u8 | flags u8 (0; ignored) | stream_id u16 BE | length u16 BE | payload
//
// Everything here is a pure function over bytes: no session state, no I/O. Direction rules
// (OPEN only from the client, OPEN_RESULT only from the server) are the session's, which
// knows its side.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "outbound/mux/protocol/address_codec.hpp"

namespace shunt::outbound::mux {

enum class FrameType : std::uint8_t {
    open = 1,
    open_result,
    data,
    window_update,
    fin,
    reset,
    ping,
    pong,
    goaway,
    datagram
};
enum class Network : std::uint8_t { tcp = 1, udp = 2 };
enum class ResultCode : std::uint8_t {
    ok = 0,
    failure,
    refused,
    network_unreachable,
    host_unreachable,
    timed_out,
    name_not_resolved,
    not_allowed,
    too_many_streams,
    flow_control,
    cancelled,
    stalled
};

std::string_view to_string(FrameType type);
std::string_view to_string(ResultCode code);

inline constexpr std::size_t kHeaderSize = 6;
inline constexpr std::size_t kMaxPayload = 65535;
inline constexpr std::size_t kMaxReason = 200;  // bytes of UTF-8 after the code
inline constexpr std::size_t kPingSize = 8;

struct Frame {
    FrameType type = FrameType::data;
    std::uint8_t flags = 0;
    std::uint16_t stream = 0;
    std::span<const std::uint8_t> payload;  // views into the parsed input
};

enum class ParseStatus : std::uint8_t { complete, incomplete, invalid };

// Parses one frame at the start of `input`.
// complete: `frame` views into `input`, `consumed` = header + payload.
// incomplete: more bytes are needed (a header that is already wrong is reported as invalid
//   at once, without waiting for its payload).
// invalid: a protocol error; `error` says why (unknown type, length wrong for the type,
//   stream 0 for a stream frame or != 0 for a carrier frame, WINDOW_UPDATE increment 0,
//   DATA with length 0, ...).
ParseStatus parse_frame(std::span<const std::uint8_t> input, Frame& frame, std::size_t& consumed,
                        std::string& error);

// --- typed payloads (the frame was accepted by parse_frame) ---

struct OpenPayload {
    Network network = Network::tcp;
    HostPort address;
};
// OPEN: network u8, address filling the rest of the payload exactly.
bool parse_open(std::span<const std::uint8_t> payload, OpenPayload& out, std::string& error);

// OPEN_RESULT, RESET, GOAWAY: code u8, reason (0..200 bytes).
struct CodeReason {
    ResultCode code = ResultCode::ok;
    std::string reason;
};
bool parse_code_reason(std::span<const std::uint8_t> payload, CodeReason& out, std::string& error);

// WINDOW_UPDATE's increment (>= 1; parse_frame checked length and value).
std::uint32_t window_increment(const Frame& frame);

// DATAGRAM: address (destination from the client, source from the server), then the UDP
// payload (possibly empty); `data` views into `payload`.
struct DatagramPayload {
    HostPort address;
    std::span<const std::uint8_t> data;
};
bool parse_datagram(std::span<const std::uint8_t> payload, DatagramPayload& out,
                    std::string& error);

// --- encoders: each appends one whole frame to `out` ---

// The domain of `address` has 1..255 bytes (the caller checked).
void append_open(std::vector<std::uint8_t>& out, std::uint16_t stream, Network network,
                 const HostPort& address);
// `reason` is cut to kMaxReason bytes (at a UTF-8 character boundary).
void append_open_result(std::vector<std::uint8_t>& out, std::uint16_t stream, ResultCode code,
                        std::string_view reason);
// Header only: the caller appends `length` (>= 1) payload bytes.
void append_data_header(std::vector<std::uint8_t>& out, std::uint16_t stream, std::uint16_t length);
// The same header written at `at` (kHeaderSize bytes), for a buffer that reserved room
// in front of the payload.
void write_data_header(std::uint8_t* at, std::uint16_t stream, std::uint16_t length);
void append_window_update(std::vector<std::uint8_t>& out, std::uint16_t stream,
                          std::uint32_t increment);
void append_fin(std::vector<std::uint8_t>& out, std::uint16_t stream);
void append_reset(std::vector<std::uint8_t>& out, std::uint16_t stream, ResultCode code,
                  std::string_view reason);
void append_ping(std::vector<std::uint8_t>& out, std::span<const std::uint8_t, kPingSize> opaque);
void append_pong(std::vector<std::uint8_t>& out, std::span<const std::uint8_t, kPingSize> opaque);
void append_goaway(std::vector<std::uint8_t>& out, ResultCode code, std::string_view reason);
// False (nothing appended) when address + data would exceed kMaxPayload.
bool append_datagram(std::vector<std::uint8_t>& out, std::uint16_t stream, const HostPort& address,
                     std::span<const std::uint8_t> data);

}  // namespace shunt::outbound::mux

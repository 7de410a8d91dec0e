// Malformed frames: each must be refused with an error that names the problem, either by
// parse_frame (header and length rules) or by the typed payload parser. Every input is
// copied into a buffer of exactly its size, so under ASan a read past it fails the test.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "outbound/mux/protocol/frame.hpp"

namespace shunt::outbound::mux {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes header(std::uint8_t type, std::uint16_t stream, std::uint16_t length) {
    return {type,
            0,
            static_cast<std::uint8_t>(stream >> 8),
            static_cast<std::uint8_t>(stream),
            static_cast<std::uint8_t>(length >> 8),
            static_cast<std::uint8_t>(length)};
}

// A header followed by `payload`, with the header's length set to the payload's size.
Bytes frame_of(std::uint8_t type, std::uint16_t stream, Bytes payload) {
    Bytes wire = header(type, stream, static_cast<std::uint16_t>(payload.size()));
    wire.insert(wire.end(), payload.begin(), payload.end());
    return wire;
}

struct Malformed {
    const char* name;
    Bytes wire;
    const char* error;  // a substring the error must contain
};

// Refused by parse_frame itself. Several carry only the header: a wrong header is
// reported without waiting for (or reading) its payload.
const std::vector<Malformed>& header_cases() {
    static const std::vector<Malformed> cases = {
        {"type 0", header(0, 1, 1), "unknown frame type 0x00"},
        {"type 11", header(11, 1, 0), "unknown frame type 0x0b"},
        {"type 255", header(255, 0, 0), "unknown frame type 0xff"},
        {"DATA on stream 0", frame_of(3, 0, {'x'}), "DATA on stream 0"},
        {"DATA empty", header(3, 1, 0), "DATA with length 0"},
        {"OPEN on stream 0", frame_of(1, 0, {1, 1, 127, 0, 0, 1, 0, 80}), "OPEN on stream 0"},
        {"OPEN too short", frame_of(1, 1, {1, 3, 1, 'a'}), "OPEN with length 4"},
        {"OPEN too long", header(1, 1, 261), "OPEN with length 261"},
        {"OPEN_RESULT empty", header(2, 1, 0), "OPEN_RESULT with length 0"},
        {"OPEN_RESULT reason 201 bytes", header(2, 1, 202), "OPEN_RESULT with length 202"},
        {"OPEN_RESULT on stream 0", frame_of(2, 0, {0}), "OPEN_RESULT on stream 0"},
        {"WINDOW_UPDATE 3 bytes", frame_of(4, 1, {0, 0, 1}), "WINDOW_UPDATE with length 3"},
        {"WINDOW_UPDATE 5 bytes", frame_of(4, 1, {0, 0, 0, 1, 0}), "WINDOW_UPDATE with length 5"},
        {"WINDOW_UPDATE increment 0", frame_of(4, 1, {0, 0, 0, 0}), "increment 0"},
        {"WINDOW_UPDATE on stream 0", frame_of(4, 0, {0, 0, 0, 1}), "on stream 0"},
        {"FIN with payload", frame_of(5, 1, {0}), "FIN with length 1"},
        {"FIN on stream 0", header(5, 0, 0), "FIN on stream 0"},
        {"RESET empty", header(6, 1, 0), "RESET with length 0"},
        {"RESET on stream 0", frame_of(6, 0, {1}), "RESET on stream 0"},
        {"PING on a stream", frame_of(7, 1, Bytes(8)), "PING on stream 1"},
        {"PING 7 bytes", frame_of(7, 0, Bytes(7)), "PING with length 7"},
        {"PONG 9 bytes", header(8, 0, 9), "PONG with length 9"},
        {"GOAWAY on a stream", frame_of(9, 3, {1}), "GOAWAY on stream 3"},
        {"GOAWAY empty", header(9, 0, 0), "GOAWAY with length 0"},
        {"DATAGRAM shorter than any address", frame_of(10, 1, {1, 127, 0, 0}),
         "DATAGRAM with length 4"},
        {"DATAGRAM on stream 0", frame_of(10, 0, {1, 127, 0, 0, 1, 0, 53}), "DATAGRAM on stream 0"},
    };
    return cases;
}

// Accepted by parse_frame (the length is plausible), refused by the payload parser.
const std::vector<Malformed>& payload_cases() {
    static const std::vector<Malformed> cases = {
        {"OPEN network 0", frame_of(1, 1, {0, 1, 127, 0, 0, 1, 0, 80}), "unknown network 0"},
        {"OPEN network 3", frame_of(1, 1, {3, 1, 127, 0, 0, 1, 0, 80}), "unknown network 3"},
        {"OPEN atyp 2", frame_of(1, 1, {1, 2, 127, 0, 0, 1, 0, 80}), "unknown address type 2"},
        {"OPEN empty domain", frame_of(1, 1, {1, 3, 0, 0, 80, 0}), "empty domain"},
        {"OPEN domain longer than the frame", frame_of(1, 1, {1, 3, 10, 'a', 'b', 0, 80}),
         "truncated"},
        {"OPEN IPv6 cut short", frame_of(1, 1, {1, 4, 0x20, 1, 0x0d, 0xb8, 0, 80}), "truncated"},
        {"OPEN bytes after the address", frame_of(1, 1, {1, 1, 127, 0, 0, 1, 0, 80, 9}),
         "1 bytes after the address"},
        {"DATAGRAM atyp 5", frame_of(10, 1, {5, 1, 2, 3, 4, 0, 53}), "unknown address type 5"},
        {"DATAGRAM IPv4 without port", frame_of(10, 1, {1, 192, 0, 2, 1}), "truncated"},
        {"DATAGRAM empty domain", frame_of(10, 1, {3, 0, 0, 53, 'x'}), "empty domain"},
    };
    return cases;
}

bool parse_payload(const Frame& frame, std::string& error) {
    switch (frame.type) {
        case FrameType::open: {
            OpenPayload open;
            return parse_open(frame.payload, open, error);
        }
        case FrameType::datagram: {
            DatagramPayload datagram;
            return parse_datagram(frame.payload, datagram, error);
        }
        default: {
            CodeReason code_reason;
            return parse_code_reason(frame.payload, code_reason, error);
        }
    }
}

TEST(MuxFrameMalformed, HeaderRulesAreEnforced) {
    ASSERT_GE(header_cases().size() + payload_cases().size(), 20u);
    for (const auto& c : header_cases()) {
        const Bytes exact(c.wire);  // heap buffer of exactly the input's size
        Frame frame;
        std::size_t consumed = 0;
        std::string error;
        EXPECT_EQ(parse_frame(exact, frame, consumed, error), ParseStatus::invalid) << c.name;
        EXPECT_NE(error.find(c.error), std::string::npos)
            << c.name << ": error '" << error << "' lacks '" << c.error << "'";
    }
}

TEST(MuxFrameMalformed, PayloadRulesAreEnforced) {
    for (const auto& c : payload_cases()) {
        const Bytes exact(c.wire);
        Frame frame;
        std::size_t consumed = 0;
        std::string error;
        ASSERT_EQ(parse_frame(exact, frame, consumed, error), ParseStatus::complete)
            << c.name << ": " << error;
        EXPECT_FALSE(parse_payload(frame, error)) << c.name;
        EXPECT_NE(error.find(c.error), std::string::npos)
            << c.name << ": error '" << error << "' lacks '" << c.error << "'";
    }
}

TEST(MuxFrameMalformed, PayloadParsersCheckTheirOwnBounds) {
    // Called on spans that did not come from parse_frame, the parsers still refuse.
    std::string error;
    CodeReason code_reason;
    EXPECT_FALSE(parse_code_reason({}, code_reason, error));
    const Bytes long_reason(1 + kMaxReason + 1, 'r');
    EXPECT_FALSE(parse_code_reason(long_reason, code_reason, error));
    OpenPayload open;
    EXPECT_FALSE(parse_open({}, open, error));
    DatagramPayload datagram;
    EXPECT_FALSE(parse_datagram({}, datagram, error));
}

TEST(MuxFrameMalformed, FlagsAreIgnored) {
    Bytes wire = frame_of(5, 1, {});
    wire[1] = 0xff;
    Frame frame;
    std::size_t consumed = 0;
    std::string error;
    ASSERT_EQ(parse_frame(wire, frame, consumed, error), ParseStatus::complete) << error;
    EXPECT_EQ(frame.flags, 0xff);
}

}  // namespace
}  // namespace shunt::outbound::mux

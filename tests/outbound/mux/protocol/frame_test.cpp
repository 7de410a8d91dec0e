// Round trips of every frame type through the encoders and parse_frame, and the
// byte-by-byte arrival of each frame (incomplete until its last byte).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "outbound/mux/protocol/frame.hpp"

namespace shunt::outbound::mux {
namespace {

using Bytes = std::vector<std::uint8_t>;

HostPort domain_address(std::string name, std::uint16_t port) {
    return HostPort{std::move(name), std::nullopt, port};
}

HostPort ip_address(const char* text, std::uint16_t port) {
    return HostPort{{}, IpAddress::parse(text), port};
}

// Parses `wire`, which must hold exactly one frame.
Frame parse_one(const Bytes& wire) {
    Frame frame;
    std::size_t consumed = 0;
    std::string error;
    EXPECT_EQ(parse_frame(wire, frame, consumed, error), ParseStatus::complete) << error;
    EXPECT_EQ(consumed, wire.size());
    return frame;
}

TEST(MuxFrame, OpenRoundTripsEveryAddressForm) {
    const HostPort addresses[] = {domain_address("example.com", 443), ip_address("192.0.2.7", 80),
                                  ip_address("2001:db8::1", 53),
                                  domain_address(std::string(255, 'a'), 65535)};
    for (const auto& address : addresses) {
        for (Network network : {Network::tcp, Network::udp}) {
            Bytes wire;
            append_open(wire, 7, network, address);
            const Frame frame = parse_one(wire);
            EXPECT_EQ(frame.type, FrameType::open);
            EXPECT_EQ(frame.stream, 7);
            OpenPayload open;
            std::string error;
            ASSERT_TRUE(parse_open(frame.payload, open, error)) << error;
            EXPECT_EQ(open.network, network);
            EXPECT_EQ(open.address, address);
        }
    }
}

TEST(MuxFrame, CodeReasonFramesRoundTrip) {
    struct Case {
        FrameType type;
        std::uint16_t stream;
    };
    for (const Case& c : {Case{FrameType::open_result, 3}, Case{FrameType::reset, 65535},
                          Case{FrameType::goaway, 0}}) {
        for (ResultCode code : {ResultCode::ok, ResultCode::refused, ResultCode::stalled}) {
            for (const std::string reason : {"", "connection refused by 192.0.2.1"}) {
                Bytes wire;
                if (c.type == FrameType::open_result)
                    append_open_result(wire, c.stream, code, reason);
                if (c.type == FrameType::reset) append_reset(wire, c.stream, code, reason);
                if (c.type == FrameType::goaway) append_goaway(wire, code, reason);
                const Frame frame = parse_one(wire);
                EXPECT_EQ(frame.type, c.type);
                EXPECT_EQ(frame.stream, c.stream);
                CodeReason parsed;
                std::string error;
                ASSERT_TRUE(parse_code_reason(frame.payload, parsed, error)) << error;
                EXPECT_EQ(parsed.code, code);
                EXPECT_EQ(parsed.reason, reason);
            }
        }
    }
}

TEST(MuxFrame, LongReasonIsCutAtACharacterBoundary) {
    // 199 ASCII bytes, then a 2-byte character that would straddle the 200-byte limit.
    const std::string reason = std::string(199, 'x') + "\xC3\xA9" + "tail";
    Bytes wire;
    append_reset(wire, 1, ResultCode::failure, reason);
    CodeReason parsed;
    std::string error;
    ASSERT_TRUE(parse_code_reason(parse_one(wire).payload, parsed, error)) << error;
    EXPECT_EQ(parsed.reason, std::string(199, 'x'));

    wire.clear();
    append_goaway(wire, ResultCode::failure, std::string(500, 'y'));
    ASSERT_TRUE(parse_code_reason(parse_one(wire).payload, parsed, error)) << error;
    EXPECT_EQ(parsed.reason.size(), kMaxReason);
}

TEST(MuxFrame, UnknownResultCodeReadsAsFailure) {
    const Bytes payload = {200, 'x'};
    CodeReason parsed;
    std::string error;
    ASSERT_TRUE(parse_code_reason(payload, parsed, error));
    EXPECT_EQ(parsed.code, ResultCode::failure);
}

TEST(MuxFrame, DataHeaderBothWays) {
    Bytes wire;
    append_data_header(wire, 0x1234, 3);
    wire.insert(wire.end(), {'a', 'b', 'c'});
    Frame frame = parse_one(wire);
    EXPECT_EQ(frame.type, FrameType::data);
    EXPECT_EQ(frame.stream, 0x1234);
    EXPECT_EQ(Bytes(frame.payload.begin(), frame.payload.end()), (Bytes{'a', 'b', 'c'}));

    Bytes in_place(kHeaderSize + kMaxPayload, 0x5a);
    write_data_header(in_place.data(), 9, static_cast<std::uint16_t>(kMaxPayload));
    frame = parse_one(in_place);
    EXPECT_EQ(frame.stream, 9);
    EXPECT_EQ(frame.payload.size(), kMaxPayload);
    EXPECT_EQ(Bytes(in_place.begin(), in_place.begin() + kHeaderSize),
              (Bytes{3, 0, 0, 9, 0xff, 0xff}));
}

TEST(MuxFrame, WindowUpdateFinPingPongRoundTrip) {
    Bytes wire;
    append_window_update(wire, 5, 0xDEADBEEF);
    Frame frame = parse_one(wire);
    EXPECT_EQ(frame.type, FrameType::window_update);
    EXPECT_EQ(window_increment(frame), 0xDEADBEEFu);

    wire.clear();
    append_fin(wire, 65535);
    frame = parse_one(wire);
    EXPECT_EQ(frame.type, FrameType::fin);
    EXPECT_EQ(frame.stream, 65535);
    EXPECT_TRUE(frame.payload.empty());

    const std::array<std::uint8_t, 8> opaque = {1, 2, 3, 4, 5, 6, 7, 8};
    for (FrameType type : {FrameType::ping, FrameType::pong}) {
        wire.clear();
        type == FrameType::ping ? append_ping(wire, opaque) : append_pong(wire, opaque);
        frame = parse_one(wire);
        EXPECT_EQ(frame.type, type);
        EXPECT_EQ(frame.stream, 0);
        EXPECT_EQ(Bytes(frame.payload.begin(), frame.payload.end()),
                  Bytes(opaque.begin(), opaque.end()));
    }
}

TEST(MuxFrame, DatagramRoundTripsAndRefusesOversize) {
    const HostPort address = ip_address("2001:db8::9", 5353);
    const Bytes data = {9, 8, 7};
    Bytes wire;
    ASSERT_TRUE(append_datagram(wire, 11, address, data));
    DatagramPayload datagram;
    std::string error;
    ASSERT_TRUE(parse_datagram(parse_one(wire).payload, datagram, error)) << error;
    EXPECT_EQ(datagram.address, address);
    EXPECT_EQ(Bytes(datagram.data.begin(), datagram.data.end()), data);

    wire.clear();  // an empty UDP payload is allowed
    ASSERT_TRUE(append_datagram(wire, 11, address, {}));
    ASSERT_TRUE(parse_datagram(parse_one(wire).payload, datagram, error)) << error;
    EXPECT_TRUE(datagram.data.empty());

    const Bytes fits(kMaxPayload - (1 + 16 + 2), 0);
    wire.clear();
    EXPECT_TRUE(append_datagram(wire, 1, address, fits));
    EXPECT_EQ(wire.size(), kHeaderSize + kMaxPayload);
    const Bytes too_big(fits.size() + 1, 0);
    wire.clear();
    EXPECT_FALSE(append_datagram(wire, 1, address, too_big));
    EXPECT_TRUE(wire.empty());
}

TEST(MuxFrame, BackToBackFramesParseInSequence) {
    Bytes wire;
    append_open(wire, 1, Network::tcp, domain_address("a.example", 443));
    append_data_header(wire, 1, 2);
    wire.insert(wire.end(), {'h', 'i'});
    append_fin(wire, 1);
    std::span<const std::uint8_t> rest(wire);
    std::vector<FrameType> types;
    Frame frame;
    std::size_t consumed = 0;
    std::string error;
    while (parse_frame(rest, frame, consumed, error) == ParseStatus::complete) {
        types.push_back(frame.type);
        rest = rest.subspan(consumed);
    }
    EXPECT_TRUE(rest.empty());
    EXPECT_EQ(types, (std::vector{FrameType::open, FrameType::data, FrameType::fin}));
}

// One frame of every type, as the encoders write them.
std::vector<Bytes> one_frame_of_each_type() {
    const std::array<std::uint8_t, 8> opaque{};
    std::vector<Bytes> frames(10);
    append_open(frames[0], 1, Network::tcp, domain_address("example.org", 443));
    append_open_result(frames[1], 1, ResultCode::refused, "no");
    append_data_header(frames[2], 1, 4);
    frames[2].insert(frames[2].end(), {1, 2, 3, 4});
    append_window_update(frames[3], 1, 131072);
    append_fin(frames[4], 1);
    append_reset(frames[5], 1, ResultCode::cancelled, "");
    append_ping(frames[6], opaque);
    append_pong(frames[7], opaque);
    append_goaway(frames[8], ResultCode::failure, "stopping");
    append_datagram(frames[9], 2, ip_address("192.0.2.1", 53), Bytes{0xab});
    return frames;
}

TEST(MuxFrame, IncompleteUntilTheLastByte) {
    const auto frames = one_frame_of_each_type();
    for (std::size_t t = 0; t < frames.size(); ++t) {
        const Bytes& wire = frames[t];
        ASSERT_EQ(wire[0], t + 1) << "one frame per type, in type order";
        for (std::size_t size = 0; size < wire.size(); ++size) {
            // A copy of exactly `size` bytes: ASan reports any read past the prefix.
            const Bytes prefix(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(size));
            Frame frame;
            std::size_t consumed = 0;
            std::string error;
            EXPECT_EQ(parse_frame(prefix, frame, consumed, error), ParseStatus::incomplete)
                << to_string(static_cast<FrameType>(wire[0])) << " with " << size
                << " bytes: " << error;
        }
        parse_one(wire);
    }
}

TEST(MuxFrame, NamesForLogs) {
    EXPECT_EQ(to_string(FrameType::window_update), "WINDOW_UPDATE");
    EXPECT_EQ(to_string(FrameType::datagram), "DATAGRAM");
    EXPECT_EQ(to_string(ResultCode::name_not_resolved), "name not resolved");
    EXPECT_EQ(to_string(static_cast<ResultCode>(99)), "unknown");
}

}  // namespace
}  // namespace shunt::outbound::mux

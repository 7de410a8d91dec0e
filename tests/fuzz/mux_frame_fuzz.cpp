// libFuzzer target for the mux frame layer: the input is a carrier's byte stream, cut into
// frames by parse_frame as the session's read loop does, and every frame it accepts goes
// through the typed payload parser of its type. Whatever a parser accepts must re-encode
// to the very bytes it came from (flags aside), so parsers and encoders cannot drift
// apart. Violations are __builtin_trap, a crash the fuzzer records.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "outbound/address_codec.hpp"
#include "outbound/mux/protocol/auth.hpp"
#include "outbound/mux/protocol/frame.hpp"

namespace {

using namespace shunt::outbound;
using namespace shunt::outbound::mux;
using shunt::HostPort;

void check(bool condition) {
    if (!condition) __builtin_trap();
}

// The re-encoded frame equals the original, except the flags byte the encoders leave 0.
void check_reencoded(std::span<const std::uint8_t> original, const std::vector<std::uint8_t>& out) {
    check(out.size() == original.size());
    check(out[0] == original[0] && out[1] == 0);
    check(std::equal(out.begin() + 2, out.end(), original.begin() + 2));
}

void check_frame(const Frame& frame, std::span<const std::uint8_t> wire) {
    static std::vector<std::uint8_t> out;
    static std::string error;
    out.clear();
    switch (frame.type) {
        case FrameType::open: {
            OpenPayload open;
            if (!parse_open(frame.payload, open, error)) return check(!error.empty());
            check(open.address.address.has_value() != !open.address.domain.empty());
            append_open(out, frame.stream, open.network, open.address);
            return check_reencoded(wire, out);
        }
        case FrameType::open_result:
        case FrameType::reset:
        case FrameType::goaway: {
            CodeReason code_reason;
            check(parse_code_reason(frame.payload, code_reason, error));
            check(code_reason.reason.size() <= kMaxReason);
            // Codes this version does not know read as failure: no byte-exact round trip.
            if (frame.payload[0] != static_cast<std::uint8_t>(code_reason.code)) return;
            if (frame.type == FrameType::open_result)
                append_open_result(out, frame.stream, code_reason.code, code_reason.reason);
            else if (frame.type == FrameType::reset)
                append_reset(out, frame.stream, code_reason.code, code_reason.reason);
            else
                append_goaway(out, code_reason.code, code_reason.reason);
            return check_reencoded(wire, out);
        }
        case FrameType::data:
            check(!frame.payload.empty());
            append_data_header(out, frame.stream, static_cast<std::uint16_t>(frame.payload.size()));
            out.insert(out.end(), frame.payload.begin(), frame.payload.end());
            return check_reencoded(wire, out);
        case FrameType::window_update:
            check(window_increment(frame) >= 1);
            append_window_update(out, frame.stream, window_increment(frame));
            return check_reencoded(wire, out);
        case FrameType::fin:
            append_fin(out, frame.stream);
            return check_reencoded(wire, out);
        case FrameType::ping:
        case FrameType::pong: {
            const std::span<const std::uint8_t, kPingSize> opaque(frame.payload.data(), kPingSize);
            frame.type == FrameType::ping ? append_ping(out, opaque) : append_pong(out, opaque);
            return check_reencoded(wire, out);
        }
        case FrameType::datagram: {
            DatagramPayload datagram;
            if (!parse_datagram(frame.payload, datagram, error)) return check(!error.empty());
            check(datagram.data.data() + datagram.data.size() ==
                  frame.payload.data() + frame.payload.size());
            check(append_datagram(out, frame.stream, datagram.address, datagram.data));
            return check_reencoded(wire, out);
        }
    }
    __builtin_trap();  // parse_frame returned a type outside the enum
}

// The read loop: frames one after another until the bytes run out or one is refused.
void read_loop(std::span<const std::uint8_t> input) {
    static std::string error;
    std::span<const std::uint8_t> rest = input;
    for (;;) {
        Frame frame;
        std::size_t consumed = 0;
        error.clear();
        const ParseStatus status = parse_frame(rest, frame, consumed, error);
        if (status == ParseStatus::invalid) return check(!error.empty());
        if (status == ParseStatus::incomplete) {
            const bool short_header = rest.size() < kHeaderSize;
            check(short_header || rest.size() < kHeaderSize + std::size_t(rest[4] << 8 | rest[5]));
            return;
        }
        check(consumed == kHeaderSize + frame.payload.size() && consumed <= rest.size());
        check(frame.payload.data() == rest.data() + kHeaderSize);
        const bool carrier = frame.type == FrameType::ping || frame.type == FrameType::pong ||
                             frame.type == FrameType::goaway;
        check(carrier == (frame.stream == 0));
        check_frame(frame, rest.first(consumed));
        rest = rest.subspan(consumed);
    }
}

// The same bytes as an address on its own, and as the AUTH message a server reads first.
void check_address_and_auth(std::span<const std::uint8_t> input) {
    static std::string error;
    static std::vector<std::uint8_t> out;
    HostPort address;
    const std::size_t used = parse_address(input, address, error);
    if (used != 0) {
        check(used <= input.size());
        out.clear();
        append_address(out, address);
        check(out.size() == used && std::equal(out.begin(), out.end(), input.begin()));
    }
    Key proof{};
    std::size_t consumed = 0;
    if (parse_auth_message(input, proof, consumed) == AuthParse::complete) {
        check(consumed >= kAuthFixedSize + kMinAuthPadding && consumed <= input.size());
        check(std::equal(proof.begin(), proof.end(), input.begin() + 3));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    read_loop(input);
    check_address_and_auth(input);
    return 0;
}

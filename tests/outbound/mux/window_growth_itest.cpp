// Window growth (docs/mux.md, "Window growth") over a long link: a DelayLine between the
// client and the server adds 30 ms each way (RTT 60 ms). With the initial 256 KiB window
// alone a stream moves at most 256 KiB per round trip (4.4 MB/s); with growth it must do
// far better. The same transfer with growth switched off (max_window = initial) is the
// control: it shows the line really delays and that the cap is real, so the first test
// cannot pass by accident. The growth test measures its control in the same run and
// compares the two, so a loaded machine (which slows the CPU-bound transfer with growth
// more than the RTT-bound one without) does not fail it: measured 0.25 of the control on
// a quiet machine, 0.67 beside two builds; without growth the two are the same.
#include <gtest/gtest.h>

#include <iostream>

#include "tests/support/delay_line.hpp"
#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kOneWay = 30ms;
constexpr std::size_t kBytes = 12 * 1024 * 1024;

class MuxWindowGrowth : public MuxFixture {
  protected:
    // Echoes kBytes through one stream over the delay line; returns the seconds it took
    // (negative on failure).
    double echo_over_line(std::uint32_t max_window) {
        CarrierOptions carrier;
        carrier.max_window = max_window;
        start_server("secret", 0, carrier);
        shunt::test::DelayLine line(io, {boost::asio::ip::make_address("127.0.0.1"), server_port},
                                    kOneWay);
        auto options = client_options();
        options.port = line.port();
        options.carriers = 1;
        options.carrier.max_window = max_window;
        auto client = make_client(options);
        std::string reason;
        auto stream = connect(*client, echo_target.port(), reason);
        if (!stream) {
            ADD_FAILURE() << reason;
            return -1;
        }
        const auto data = random_bytes(kBytes, 7);
        std::vector<std::uint8_t> back;
        const auto started = Clock::now();
        const bool ok = echo(*stream, data, back);
        const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
        if (!ok || back != data) {
            ADD_FAILURE() << "echo failed or corrupted (" << back.size() << " bytes back)";
            return -1;
        }
        stream->close(false);
        // The next transfer starts a server of its own: let this one's carriers go first.
        stream.reset();
        client.reset();
        server->stop();
        io.restart();
        io.run_for(std::chrono::milliseconds(50));
        server.reset();
        return seconds;
    }
};

// The fixed window's bound for kBytes at RTT 2 * kOneWay: one window per round trip.
double fixed_window_seconds() {
    const double rtt = std::chrono::duration<double>(kOneWay * 2).count();
    return static_cast<double>(kBytes) / (256.0 * 1024) * rtt;
}

TEST_F(MuxWindowGrowth, AStreamOverALongLinkOutrunsTheInitialWindow) {
    const double control = echo_over_line(256 * 1024);
    ASSERT_GT(control, 0);
    const double seconds = echo_over_line(16 * 1024 * 1024);
    ASSERT_GT(seconds, 0);
    std::cout << "[ figures  ] " << kBytes / (1024 * 1024) << " MiB echoed over RTT "
              << (kOneWay * 2).count() << " ms in " << seconds << " s (" << kBytes / seconds / 1e6
              << " MB/s each way); without growth in the same run " << control << " s ("
              << seconds / control << " of it; the initial window alone allows "
              << fixed_window_seconds() << " s at best)\n";
    EXPECT_LT(seconds, control * 0.8);
}

TEST_F(MuxWindowGrowth, WithoutGrowthTheInitialWindowCapsTheStream) {
    const double seconds = echo_over_line(256 * 1024);
    ASSERT_GT(seconds, 0);
    std::cout << "[ figures  ] without growth: " << seconds << " s (bound "
              << fixed_window_seconds() << " s)\n";
    EXPECT_GT(seconds, fixed_window_seconds() * 0.8);
}

}  // namespace
}  // namespace shunt::outbound::mux::test

// Two streams on one carrier: a stream whose reader is paused stops only itself
// (docs/mux.md, "Flow control"). Stream A writes to the echo target and never reads: its
// echo fills A's window at the client, the server's relay stops reading A's target, the
// target stops reading, A's upload stalls — and stream B's echo keeps its solo throughput.
#include <gtest/gtest.h>

#include <iostream>

#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

using Clock = std::chrono::steady_clock;
using MuxHeadOfLine = MuxFixture;

// 8 MiB per run: a Debug + ASan build on a shared machine echoes ~10 MB/s; best of three.
constexpr std::size_t kEchoBytes = 8 * 1024 * 1024;

TEST_F(MuxHeadOfLine, PausedReaderDoesNotSlowTheOtherStreamOnItsCarrier) {
    start_server();
    auto options = client_options();
    options.carriers = 1;
    auto client = make_client(options);
    const auto data = random_bytes(kEchoBytes, 3);

    // B's echo rate (MB/s) on a fresh stream, best of three.
    auto measure_b = [&]() -> double {
        double best = 0;
        for (int run = 0; run < 3; ++run) {
            std::string reason;
            auto b = connect(*client, echo_target.port(), reason);
            EXPECT_TRUE(b) << reason;
            if (!b) return 0;
            std::vector<std::uint8_t> back;
            const auto start = Clock::now();
            EXPECT_TRUE(echo(*b, data, back)) << "B's echo failed after " << back.size();
            const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
            EXPECT_TRUE(back == data);
            best = std::max(best, static_cast<double>(kEchoBytes) / seconds / 1e6);
            b->close(false);
        }
        return best;
    };

    const double solo = measure_b();

    // A: writes 1 MiB chunks for as long as they are taken, never reads.
    std::string reason;
    auto a = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(a) << reason;
    const std::vector<std::uint8_t> chunk(1024 * 1024, 0xa5);
    std::size_t a_written = 0;
    bool a_failed = false;
    auto last_progress = Clock::now();
    std::function<void()> write_a = [&] {
        a->async_write({boost::asio::buffer(chunk)},
                       [&](const boost::system::error_code& ec, std::size_t n) {
                           if (ec) {
                               a_failed = true;
                               return;
                           }
                           a_written += n;
                           last_progress = Clock::now();
                           write_a();
                       });
    };
    write_a();
    // Stalled: no chunk taken for half a second.
    ASSERT_TRUE(run_until(
        [&] {
            return a_written > 0 && Clock::now() - last_progress > std::chrono::milliseconds(500);
        },
        std::chrono::milliseconds(8000)))
        << "A never stalled (" << a_written << " bytes taken)";
    ASSERT_FALSE(a_failed);
    const std::size_t a_stalled_at = a_written;

    const double with_a_paused = measure_b();
    std::cout << "[ figures  ] B echo " << solo << " MB/s solo, " << with_a_paused
              << " MB/s with A paused (A stalled after " << a_stalled_at / 1024 << " KiB)\n";
    EXPECT_FALSE(a_failed) << "A must stay open, only stalled";
    EXPECT_EQ(a_written, a_stalled_at) << "A must stay stalled while B runs";
    EXPECT_GE(with_a_paused, 0.9 * solo);
    EXPECT_EQ(server->stats().authenticated, 1U) << "one carrier: A and B share it";
}

}  // namespace
}  // namespace shunt::outbound::mux::test

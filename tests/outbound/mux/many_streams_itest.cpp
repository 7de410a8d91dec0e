// 1,000 streams opened, echoed and closed: nothing stays behind — no stream on either
// side's carriers, and the process's memory back where it was after a warm-up round.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>

#include "tests/support/mux_fixture.hpp"

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime (its header is not installed with GCC here).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace shunt::outbound::mux::test {
namespace {

std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// Live heap bytes where the allocator can tell (ASan keeps freed memory in quarantine,
// which RSS counts); 0 otherwise.
std::size_t live_heap_bytes() {
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    return 0;
#endif
}

// One stream's life: connect, write a few bytes, read them back, close gracefully.
struct EchoSession : std::enable_shared_from_this<EchoSession> {
    std::unique_ptr<Stream> stream;
    std::vector<std::uint8_t> data;
    std::vector<std::uint8_t> back;
    bool done = false;
    bool failed = false;

    void start(MuxOutbound& client, std::uint16_t port, int index) {
        data = random_bytes(64, static_cast<unsigned>(index));
        Target target;
        target.address = IpAddress::parse("127.0.0.1");
        target.port = port;
        client.connect(target, [self = shared_from_this()](const boost::system::error_code& ec,
                                                           std::unique_ptr<Stream> s, std::string) {
            if (ec) return self->finish(true);
            self->stream = std::move(s);
            self->stream->async_write(
                {boost::asio::buffer(self->data)},
                [self](const boost::system::error_code& write_error, std::size_t) {
                    if (write_error) self->finish(true);
                });
            self->read();
        });
    }
    void read() {
        stream->async_wait_readable([self = shared_from_this()](const boost::system::error_code&) {
            if (self->done) return;
            std::array<std::uint8_t, 256> chunk{};
            boost::system::error_code ec;
            const std::size_t n = self->stream->read_some(chunk, ec);
            if (ec == boost::asio::error::would_block) return self->read();
            if (ec) return self->finish(true);
            self->back.insert(self->back.end(), chunk.begin(), chunk.begin() + n);
            if (self->back.size() < self->data.size()) return self->read();
            self->finish(self->back != self->data);
        });
    }
    void finish(bool error) {
        if (done) return;
        done = true;
        failed = error;
        if (stream) stream->close(true);  // FIN; the server's FIN completes the stream
        stream.reset();
    }
};

using MuxManyStreams = MuxFixture;

TEST_F(MuxManyStreams, ThousandStreamsLeaveNoStreamAndNoMemoryBehind) {
    start_server();
    auto client = make_client(client_options());
    constexpr int kStreams = 1000;
    constexpr int kAtOnce = 100;

    auto round = [&]() -> ::testing::AssertionResult {
        for (int first = 0; first < kStreams; first += kAtOnce) {
            std::vector<std::shared_ptr<EchoSession>> sessions;
            for (int i = 0; i < kAtOnce; ++i) {
                sessions.push_back(std::make_shared<EchoSession>());
                sessions.back()->start(*client, echo_target.port(), first + i);
            }
            if (!run_until([&] {
                    return std::all_of(sessions.begin(), sessions.end(),
                                       [](const auto& s) { return s->done; });
                }))
                return ::testing::AssertionFailure() << "streams " << first << "+ did not finish";
            for (const auto& s : sessions)
                if (s->failed) return ::testing::AssertionFailure() << "an echo failed";
        }
        // Both ends' FINs crossed: every stream is gone from both sides' tables.
        if (!run_until(
                [&] { return client->pool().stream_count() == 0 && server->stream_count() == 0; }))
            return ::testing::AssertionFailure()
                   << "streams left: client " << client->pool().stream_count() << ", server "
                   << server->stream_count();
        return ::testing::AssertionSuccess();
    };

    ASSERT_TRUE(round()) << "warm-up round";
    run_until([] { return false; }, std::chrono::milliseconds(100));
    const std::size_t rss_before = resident_bytes();
    const std::size_t heap_before = live_heap_bytes();
    ASSERT_TRUE(round());
    run_until([] { return false; }, std::chrono::milliseconds(100));
    const std::size_t rss_after = resident_bytes();
    const std::size_t heap_after = live_heap_bytes();

    EXPECT_EQ(client->pool().stream_count(), 0U);
    EXPECT_EQ(server->stream_count(), 0U);
    EXPECT_EQ(echo_target.connections(), 2U * kStreams);
    std::cout << "[ figures  ] RSS " << rss_before / 1024 << " KiB before, " << rss_after / 1024
              << " KiB after 1,000 streams; live heap " << heap_before / 1024 << " -> "
              << heap_after / 1024 << " KiB\n";
    // A stream that leaked would hold at least its 64 KiB relay buffers on the server: 1,000
    // of them are ~64 MiB; the margin allows allocator noise (ASan's quarantine moves RSS by
    // a few MiB; the live-heap check below is the exact one there).
    constexpr std::size_t kMargin = 16 * 1024 * 1024;
    // Under ASan freed blocks sit in its quarantine (up to 256 MiB) and count in RSS: there
    // the live heap is the measure; without ASan, RSS is.
    if (heap_before == 0) {
        EXPECT_LT(rss_after, rss_before + kMargin)
            << "RSS grew by " << (rss_after - rss_before) / 1024 << " KiB";
    } else {
        EXPECT_LT(heap_after, heap_before + 2 * 1024 * 1024)
            << "live heap grew by " << (heap_after - heap_before) / 1024 << " KiB";
    }
}

}  // namespace
}  // namespace shunt::outbound::mux::test

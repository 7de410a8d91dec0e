// Per-stream flow control end to end (docs/mux.md, "Flow control"): a writer whose peer
// never returns credit times out instead of hanging, a stream that sent its FIN still
// gets credit for what it downloads (and reads every byte before the EOF), and a reader
// that defers consumption (ThreadedStream's worker) holds the peer until it reports it.
#include <gtest/gtest.h>

#include <iostream>

#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

using Clock = std::chrono::steady_clock;
using MuxFlowControl = MuxFixture;

TEST_F(MuxFlowControl, WriterToATargetThatNeverReadsTimesOutAfterTheStallLimit) {
    start_server();
    EchoTarget silent(io, /*read=*/false);
    auto options = client_options();
    options.carrier.stall_limit = std::chrono::milliseconds(2000);
    auto client = make_client(options);
    std::string reason;
    auto stream = connect(*client, silent.port(), reason);
    ASSERT_TRUE(stream) << reason;

    const std::vector<std::uint8_t> data(64 * 1024 * 1024, 0x5a);
    bool done = false;
    boost::system::error_code error;
    std::size_t written = 0;
    const auto started = Clock::now();
    Clock::time_point finished{};
    stream->async_write({boost::asio::buffer(data)},
                        [&](const boost::system::error_code& ec, std::size_t n) {
                            done = true;
                            error = ec;
                            written = n;
                            finished = Clock::now();
                        });
    // Bounded: the stall limit plus the tick and the loopback buffers filling.
    ASSERT_TRUE(run_until([&] { return done; }, std::chrono::milliseconds(8000)))
        << "the write hangs on a stream without credit";
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(finished - started).count();
    std::cout << "[ figures  ] write failed after " << ms << " ms, " << written
              << " bytes taken (stall_limit 2000 ms)\n";
    EXPECT_EQ(error, boost::asio::error::timed_out) << error.message();
    EXPECT_LT(written, data.size());
    EXPECT_GE(ms, 1900);
    EXPECT_LE(ms, 5000);
    // The stream is reset at both ends: nothing stays open on the carriers.
    stream.reset();
    EXPECT_TRUE(
        run_until([&] { return client->pool().stream_count() == 0 && server->stream_count() == 0; },
                  std::chrono::milliseconds(3000)))
        << "client " << client->pool().stream_count() << ", server " << server->stream_count();
}

// The client sends everything and its FIN before reading any of the echo: all of the echo
// beyond the first window needs WINDOW_UPDATEs sent after our FIN, and the server's FIN
// arrives while the last bytes are still unread.
TEST_F(MuxFlowControl, HalfClosedStreamStillDownloadsAndReadsAllBeforeEof) {
    start_server();
    auto client = make_client(client_options());
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(stream) << reason;
    const auto data = random_bytes(1536 * 1024, 5);
    bool written = false;
    boost::system::error_code write_error;
    stream->async_write({boost::asio::buffer(data)},
                        [&](const boost::system::error_code& ec, std::size_t) {
                            written = true;
                            write_error = ec;
                        });
    stream->shutdown_send();  // FIN after the write's bytes
    // Not reading yet: the echo fills our window; the write completes once the loopback
    // buffers on the target's side have taken the rest.
    run_until([&] { return written; }, std::chrono::milliseconds(3000));
    run_until([] { return false; }, std::chrono::milliseconds(300));  // the FIN and echo settle

    std::vector<std::uint8_t> back;
    bool eof = false;
    boost::system::error_code read_error;
    std::function<void()> read_more = [&] {
        stream->async_wait_readable([&](const boost::system::error_code& ec) {
            if (ec) {
                read_error = ec;
                return;
            }
            std::vector<std::uint8_t> chunk(8192);  // small reads: the FIN comes first
            for (;;) {
                boost::system::error_code e;
                const std::size_t n = stream->read_some(chunk, e);
                if (e == boost::asio::error::would_block) break;
                if (e == boost::asio::error::eof) {
                    eof = true;
                    return;
                }
                if (e) {
                    read_error = e;
                    return;
                }
                back.insert(back.end(), chunk.begin(), chunk.begin() + n);
            }
            read_more();
        });
    };
    read_more();
    ASSERT_TRUE(run_until([&] { return eof || read_error; }, std::chrono::milliseconds(8000)))
        << "stuck after " << back.size() << " of " << data.size()
        << " bytes: no credit after our FIN?";
    EXPECT_TRUE(written);
    EXPECT_FALSE(write_error) << write_error.message();
    EXPECT_FALSE(read_error) << read_error.message();
    EXPECT_EQ(back.size(), data.size()) << "bytes lost before the EOF";
    EXPECT_TRUE(back == data);
}

// Both ends sent their FIN before the application read anything: the stream is done at the
// carrier (its id free), yet the bytes that arrived before the server's FIN are still read,
// then EOF.
TEST_F(MuxFlowControl, BytesUnreadWhenTheStreamEndsAreStillDelivered) {
    start_server();
    auto client = make_client(client_options());
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(stream) << reason;
    const auto data = random_bytes(20'000, 8);
    stream->async_write({boost::asio::buffer(data)},
                        [](const boost::system::error_code&, std::size_t) {});
    stream->shutdown_send();
    ASSERT_TRUE(run_until([&] { return client->pool().stream_count() == 0; },
                          std::chrono::milliseconds(5000)))
        << "the server's FIN never came";
    std::vector<std::uint8_t> back(64 * 1024);
    boost::system::error_code ec;
    const std::size_t n = stream->read_some(back, ec);
    EXPECT_FALSE(ec) << ec.message();
    ASSERT_EQ(n, data.size()) << "bytes dropped when the stream ended";
    back.resize(n);
    EXPECT_TRUE(back == data);
    stream->read_some(back, ec);
    EXPECT_EQ(ec, boost::asio::error::eof) << ec.message();
}

// A reader that moves bytes on before their consumer has them (defer_consumption) gets
// no more than the window until it reports them consumed; then the rest flows, intact.
TEST_F(MuxFlowControl, ADeferringReaderHoldsThePeerToTheWindowUntilItReportsConsumption) {
    start_server();
    auto client = make_client(client_options());
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(stream) << reason;
    stream->defer_consumption();
    const auto data = random_bytes(3'000'000, 11);
    stream->async_write({boost::asio::buffer(data)},
                        [](const boost::system::error_code&, std::size_t) {});
    std::vector<std::uint8_t> back;
    bool report = false;
    bool failed = false;
    std::vector<std::uint8_t> chunk(65536);
    std::function<void()> read_more = [&] {
        stream->async_wait_readable([&](const boost::system::error_code& ec) {
            if (ec) {
                failed = true;
                return;
            }
            for (;;) {
                boost::system::error_code read_error;
                const std::size_t n = stream->read_some(chunk, read_error);
                if (read_error == boost::asio::error::would_block) break;
                if (read_error) {
                    failed = true;
                    return;
                }
                back.insert(back.end(), chunk.begin(), chunk.begin() + n);
                if (report) stream->consumed(n);
            }
            if (back.size() < data.size()) read_more();
        });
    };
    read_more();
    run_until([] { return false; }, std::chrono::milliseconds(1500));
    const CarrierOptions window;
    EXPECT_GE(back.size(), window.initial_window / 2) << "nothing came";
    EXPECT_LE(back.size(), window.initial_window) << "the peer sent past the window";
    ASSERT_FALSE(failed);

    report = true;
    stream->consumed(back.size());
    ASSERT_TRUE(run_until([&] { return failed || back.size() >= data.size(); },
                          std::chrono::milliseconds(20'000)))
        << back.size();
    ASSERT_FALSE(failed);
    EXPECT_EQ(back, data);
}

}  // namespace
}  // namespace shunt::outbound::mux::test

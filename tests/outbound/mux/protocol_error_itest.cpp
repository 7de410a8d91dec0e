// A frame that breaks the protocol for the whole carrier (docs/mux.md, "Errors"): the
// receiver sends GOAWAY with code 1 (failure) and closes the carrier; every stream on it
// ends. The peer here is a raw mux client written for the test: TLS, AUTH, then frames
// built by hand, run on its own thread with blocking calls while the fixture's io_context
// runs the real server.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "outbound/mux/protocol/auth.hpp"
#include "outbound/mux/protocol/frame.hpp"
#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

using tcp = boost::asio::ip::tcp;

constexpr std::size_t kCredit = 256 * 1024;  // a stream's initial window

// What the raw client saw after its broken frame.
struct Outcome {
    bool authenticated = false;
    bool first_stream_opened = false;  // OPEN_RESULT ok for the stream opened before
    bool goaway = false;
    ResultCode goaway_code = ResultCode::ok;
    std::string goaway_reason;
    bool closed = false;         // the server closed the connection after it
    std::size_t data_bytes = 0;  // DATA received (the echo)
    std::string failure;         // what went wrong in the client itself
};

std::vector<std::uint8_t> bytes_of(const std::string& text) {
    return {text.begin(), text.end()};
}

// The raw client's connection: TLS to the server on loopback (no verification: the test
// is about what follows), reads given up after 5 s so a stuck server fails the test rather
// than hanging it; `tiny_receive_buffer` leaves what the server sends waiting on its side.
struct RawTlsClient {
    RawTlsClient(std::uint16_t server_port, bool tiny_receive_buffer) {
        context.set_verify_mode(boost::asio::ssl::verify_none);
        tls.lowest_layer().open(tcp::v4());
        if (tiny_receive_buffer)
            tls.lowest_layer().set_option(tcp::socket::receive_buffer_size(4096));
        tls.lowest_layer().connect({boost::asio::ip::make_address("127.0.0.1"), server_port});
        const timeval timeout{5, 0};
        setsockopt(tls.lowest_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
                   sizeof timeout);
        tls.handshake(boost::asio::ssl::stream_base::client);
    }

    // Sends the AUTH for the fixture's password, bound to this connection.
    void authenticate() {
        Key binding{};
        if (!exporter_binding(tls.native_handle(), binding))
            throw std::runtime_error("no exporter binding");
        boost::asio::write(tls, boost::asio::buffer(
                                    build_auth_message(client_proof(auth_key("secret"), binding))));
    }

    boost::asio::io_context io;
    boost::asio::ssl::context context{boost::asio::ssl::context::tls_client};
    boost::asio::ssl::stream<tcp::socket> tls{io, context};
};

// Connects, authenticates, opens stream 1 to the echo target and waits for its
// OPEN_RESULT, then sends `broken` and reads frames until the connection ends. With
// `echoed` > 0 it first sends that many bytes (over as many streams as it takes) and, with a
// tiny receive buffer, leaves the echo unread for a while: the server is then in the middle of a
// write when the broken frame arrives.
Outcome run_raw_client(std::uint16_t server_port, std::uint16_t echo_port,
                       const std::vector<std::uint8_t>& broken, std::size_t echoed = 0) {
    Outcome outcome;
    try {
        RawTlsClient client(server_port, echoed > 0);
        auto& tls = client.tls;
        client.authenticate();
        std::vector<std::uint8_t> out;
        const auto echo = HostPort::from_endpoint({*IpAddress::parse("127.0.0.1"), echo_port});
        append_open(out, 1, Network::tcp, echo);
        boost::asio::write(tls, boost::asio::buffer(out));

        std::vector<std::uint8_t> in;
        std::array<std::uint8_t, 4096> chunk{};
        bool sent_broken = false;
        for (;;) {
            boost::system::error_code ec;
            const std::size_t n = tls.read_some(boost::asio::buffer(chunk), ec);
            if (ec) {
                outcome.closed = sent_broken && (ec == boost::asio::error::eof ||
                                                 ec == boost::asio::ssl::error::stream_truncated ||
                                                 ec == boost::asio::error::connection_reset);
                if (!outcome.closed) outcome.failure = "read: " + ec.message();
                return outcome;
            }
            in.insert(in.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
            if (!outcome.authenticated) {
                Key proof{};
                std::size_t consumed = 0;
                if (parse_auth_message(in, proof, consumed) != AuthParse::complete) continue;
                outcome.authenticated = true;
                in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(consumed));
            }
            for (;;) {
                Frame frame;
                std::size_t consumed = 0;
                std::string error;
                if (parse_frame(in, frame, consumed, error) != ParseStatus::complete) break;
                if (frame.type == FrameType::open_result && frame.stream == 1) {
                    CodeReason result;
                    parse_code_reason(frame.payload, result, error);
                    outcome.first_stream_opened = result.code == ResultCode::ok;
                } else if (frame.type == FrameType::data) {
                    outcome.data_bytes += frame.payload.size();
                } else if (frame.type == FrameType::goaway) {
                    CodeReason why;
                    parse_code_reason(frame.payload, why, error);
                    outcome.goaway = true;
                    outcome.goaway_code = why.code;
                    outcome.goaway_reason = why.reason;
                }
                in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(consumed));
            }
            if (outcome.first_stream_opened && !sent_broken) {
                if (echoed > 0) {
                    // One stream's credit is 256 KiB: more streams for more bytes, more
                    // than the server's socket buffer takes while we do not read.
                    std::vector<std::uint8_t> data;
                    const std::uint16_t streams = static_cast<std::uint16_t>(echoed / kCredit);
                    for (std::uint16_t id = 1; id <= streams; ++id) {
                        if (id > 1) append_open(data, id, Network::tcp, echo);
                        for (std::size_t sent = 0; sent < kCredit; sent += 32'768) {
                            append_data_header(data, id, 32'768);
                            data.insert(data.end(), 32'768, 0x5a);
                        }
                    }
                    boost::asio::write(tls, boost::asio::buffer(data));
                    std::this_thread::sleep_for(std::chrono::milliseconds(500));
                }
                boost::asio::write(tls, boost::asio::buffer(broken));
                sent_broken = true;
                if (echoed > 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
            }
        }
    } catch (const std::exception& e) {
        outcome.failure = e.what();
    }
    return outcome;
}

// A frame with any header and payload (the encoders only build valid ones).
std::vector<std::uint8_t> raw_frame(std::uint8_t type, std::uint16_t stream,
                                    const std::vector<std::uint8_t>& payload) {
    std::vector<std::uint8_t> out = {type,
                                     0,
                                     static_cast<std::uint8_t>(stream >> 8),
                                     static_cast<std::uint8_t>(stream),
                                     static_cast<std::uint8_t>(payload.size() >> 8),
                                     static_cast<std::uint8_t>(payload.size())};
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

struct BrokenFrame {
    const char* what;
    std::vector<std::uint8_t> bytes;
};

std::vector<BrokenFrame> broken_frames() {
    std::vector<BrokenFrame> rows;
    rows.push_back({"unknown frame type", raw_frame(0xEE, 1, bytes_of("x"))});
    rows.push_back({"WINDOW_UPDATE of 0", raw_frame(4, 1, {0, 0, 0, 0})});
    {
        std::vector<std::uint8_t> out;
        append_open_result(out, 1, ResultCode::ok, "");
        rows.push_back({"OPEN_RESULT from the client", out});
    }
    // Network 1 (tcp), then address type 9: no such type (the length is a valid one).
    rows.push_back({"OPEN with an unknown address type", raw_frame(1, 3, {1, 9, 1, 2, 0, 80})});
    {
        std::vector<std::uint8_t> out;
        append_open(out, 1, Network::tcp,
                    HostPort::from_endpoint({*IpAddress::parse("127.0.0.1"), 9}));
        rows.push_back({"OPEN for a stream in use", out});
    }
    rows.push_back({"RESET without a code", raw_frame(6, 1, {})});
    rows.push_back({"DATAGRAM with an unknown address type", raw_frame(10, 1, {9, 1, 2, 0, 80})});
    return rows;
}

using MuxProtocolError = MuxFixture;

TEST_F(MuxProtocolError, EachBrokenFrameGetsGoawayAndTheCarrierCloses) {
    start_server();
    for (const auto& row : broken_frames()) {
        SCOPED_TRACE(row.what);
        std::atomic<bool> done = false;
        Outcome outcome;
        std::thread client([&] {
            outcome = run_raw_client(server_port, echo_target.port(), row.bytes);
            done = true;
        });
        const bool finished = run_until([&] { return done.load(); });
        if (!finished) server->stop();  // unblocks the client's read
        client.join();
        ASSERT_TRUE(finished);
        EXPECT_EQ(outcome.failure, "");
        EXPECT_TRUE(outcome.authenticated);
        EXPECT_TRUE(outcome.first_stream_opened);
        EXPECT_TRUE(outcome.goaway) << "no GOAWAY before the close";
        EXPECT_EQ(outcome.goaway_code, ResultCode::failure);
        EXPECT_EQ(outcome.goaway_reason, "protocol error");
        EXPECT_TRUE(outcome.closed);
        // The carrier and its stream are gone on the server's side too.
        EXPECT_TRUE(run_until([&] { return server->carrier_count() == 0; }));
        EXPECT_EQ(server->stream_count(), 0U);
    }
    EXPECT_EQ(server->stats().authenticated, broken_frames().size());
}

// An AUTH whose head claims more padding than the protocol allows is refused as soon as the
// head is there: before, the server waited for the 64 KiB it announced until the AUTH
// deadline (10 s), a cheap way to hold a handshake slot.
TEST_F(MuxProtocolError, AnAuthClaimingTooMuchPaddingIsRefusedAtItsHead) {
    start_server();
    std::atomic<bool> done = false;
    std::string result;
    std::chrono::steady_clock::duration took{};
    std::thread client([&] {
        try {
            RawTlsClient client(server_port, false);
            auto& tls = client.tls;
            const std::array<std::uint8_t, 3> head{1, 0xff, 0xff};
            const auto sent = std::chrono::steady_clock::now();
            boost::asio::write(tls, boost::asio::buffer(head));
            std::array<std::uint8_t, 64> chunk{};
            boost::system::error_code ec;
            tls.read_some(boost::asio::buffer(chunk), ec);
            took = std::chrono::steady_clock::now() - sent;
            result = ec ? ec.message() : "data";
        } catch (const std::exception& e) {
            result = std::string("client: ") + e.what();
        }
        done = true;
    });
    const bool finished = run_until([&] { return done.load(); });
    if (!finished) server->stop();
    client.join();
    ASSERT_TRUE(finished);
    // Closed by the server (EOF, a TLS alert or a reset), not the client's 5 s timeout.
    EXPECT_NE(result, "data");
    EXPECT_LT(took, std::chrono::seconds(2)) << result;
    EXPECT_TRUE(run_until([&] { return server->stats().auth_failed == 1; }));
}

// An authenticated peer that sends PINGs and never reads the PONGs: the server stops
// reading once its answers pile up (2 MiB), so the peer's writes block instead of the
// server's queue growing with every PING. Before, all 64 MiB of PINGs were read and
// 64 MiB of PONGs queued.
TEST_F(MuxProtocolError, APeerThatPingsWithoutReadingIsNoLongerReadFrom) {
    start_server();
    std::atomic<bool> done = false;
    std::size_t written = 0;
    std::string failure;
    std::thread client([&] {
        try {
            RawTlsClient client(server_port, true);
            auto& tls = client.tls;
            auto& client_io = client.io;
            client.authenticate();
            std::vector<std::uint8_t> pings;
            const std::array<std::uint8_t, kPingSize> opaque{1, 2, 3, 4, 5, 6, 7, 8};
            while (pings.size() < (1u << 20)) append_ping(pings, opaque);
            // 64 MiB of PINGs, 1 MiB at a time; a chunk not taken within 3 s ends it.
            for (int i = 0; i < 64; ++i) {
                bool completed = false;
                boost::system::error_code write_error;
                boost::asio::async_write(tls, boost::asio::buffer(pings),
                                         [&](const boost::system::error_code& ec, std::size_t n) {
                                             completed = true;
                                             write_error = ec;
                                             written += n;
                                         });
                client_io.restart();
                client_io.run_for(std::chrono::seconds(3));
                if (!completed || write_error) break;
            }
        } catch (const std::exception& e) {
            failure = e.what();
        }
        done = true;
    });
    const bool finished = run_until([&] { return done.load(); }, std::chrono::seconds(60));
    if (!finished) server->stop();
    client.join();
    ASSERT_TRUE(finished);
    EXPECT_EQ(failure, "");
    // What the server read (≤ 2 MiB of PONGs' worth of PINGs) plus the sockets' buffers.
    EXPECT_LT(written, 32u << 20) << written << " bytes of PINGs taken";
    EXPECT_GT(written, 1u << 20);
}

// The GOAWAY waits for a write in progress (the client reads nothing for a while): the
// carrier keeps the socket until it is out, instead of closing under it.
TEST_F(MuxProtocolError, GoawayFollowsAWriteThatWasInProgress) {
    start_server();
    std::atomic<bool> done = false;
    Outcome outcome;
    std::thread client([&] {
        outcome =
            run_raw_client(server_port, echo_target.port(), raw_frame(0xEE, 1, {1}), 32 * kCredit);
        done = true;
    });
    const bool finished = run_until([&] { return done.load(); });
    if (!finished) server->stop();
    client.join();
    ASSERT_TRUE(finished);
    EXPECT_EQ(outcome.failure, "");
    EXPECT_TRUE(outcome.goaway) << "the GOAWAY was lost with the write in progress";
    EXPECT_GT(outcome.data_bytes, 0U) << "the echo never came back";
    EXPECT_EQ(outcome.goaway_reason, "protocol error");
    EXPECT_TRUE(outcome.closed);
    EXPECT_TRUE(run_until([&] { return server->carrier_count() == 0; }));
}

}  // namespace
}  // namespace shunt::outbound::mux::test

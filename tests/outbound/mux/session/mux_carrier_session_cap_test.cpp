// The session cap (docs/mux.md, "Flow control"): while the data a carrier holds for all
// its streams exceeds the cap, the WINDOW_UPDATEs its reads fall due for wait; once the
// data is back under the cap they go, whatever brought it there. A server carrier over a
// socketpair with TLS on both ends (TlsChannel); the client writes raw frames and collects
// the credit it is given; the test reads the streams' handles itself.
//
// Found by fuzz_mux_server: an update held back by the cap went only when the stream that
// brought the data under the cap had an update of its own due (or a stream was freed), so
// a RESET that dropped a stream's data, or another stream's small read, left the withheld
// stream's sender without credit while nothing was over the cap.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "outbound/mux/protocol/auth.hpp"
#include "outbound/mux/protocol/frame.hpp"
#include "outbound/mux/session/mux_carrier.hpp"
#include "outbound/mux/session/mux_stream.hpp"
#include "outbound/mux/session/tls_channel.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::outbound::mux {
namespace {

using boost::asio::ip::tcp;

constexpr std::uint32_t kWindow = 4096;
constexpr std::size_t kCap = 8192;

class MuxCarrierSessionCap : public ::testing::Test {
  protected:
    MuxCarrierSessionCap()
        : certificate(ca.issue("mux.test")),
          client_context(boost::asio::ssl::context::tls_client),
          server_context(boost::asio::ssl::context::tls_server) {
        server_context.use_certificate_chain_file(certificate.cert_file);
        server_context.use_private_key_file(certificate.key_file, boost::asio::ssl::context::pem);
        SSL_CTX_set_min_proto_version(server_context.native_handle(), TLS1_3_VERSION);
        int fds[2];
        EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        tcp::socket client_socket(io);
        tcp::socket server_socket(io);
        client_socket.assign(tcp::v4(), fds[0]);
        server_socket.assign(tcp::v4(), fds[1]);
        client = std::make_shared<TlsChannel>(
            std::move(client_socket), client_context.native_handle(), TlsChannel::Role::client);
        auto server = std::make_shared<TlsChannel>(
            std::move(server_socket), server_context.native_handle(), TlsChannel::Role::server);
        int handshakes = 0;
        client->async_handshake([&](const boost::system::error_code& ec) {
            EXPECT_FALSE(ec) << ec.message();
            ++handshakes;
        });
        server->async_handshake([&](const boost::system::error_code& ec) {
            EXPECT_FALSE(ec) << ec.message();
            ++handshakes;
        });
        EXPECT_TRUE(run_until([&] { return handshakes == 2; }));

        CarrierOptions options;
        options.initial_window = kWindow;
        options.max_window = kWindow;  // no growth: the credit is the bytes read
        options.session_cap = kCap;
        carrier = std::make_shared<MuxCarrier>(server, CarrierRole::server, options, "test");
        carrier->start_server(
            Key{},
            [this](std::unique_ptr<MuxStream> stream, const OpenPayload&) {
                const auto id = stream->id();
                streams[id] = std::move(stream);
            },
            [](MuxCarrier&, const std::string&) {});
        read_frames();
    }

    ~MuxCarrierSessionCap() override {
        streams.clear();
        carrier->close("test over");
        client->close();
        io.restart();
        io.poll();
    }

    bool run_until(const std::function<bool()>& done,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            io.restart();
            io.run_for(std::chrono::milliseconds(5));
        }
        return true;
    }

    // The client's side: AUTH_OK (skipped), then frames; WINDOW_UPDATEs add to `credit`.
    void read_frames() {
        client->async_read_some(buffer, [this](const boost::system::error_code& ec, std::size_t n) {
            if (ec) return;
            in.insert(in.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
            std::size_t offset = 0;
            if (!auth_ok_read) {
                Key proof{};
                std::size_t consumed = 0;
                if (parse_auth_message(in, proof, consumed) != AuthParse::complete)
                    return read_frames();
                auth_ok_read = true;
                offset = consumed;
            }
            for (;;) {
                Frame frame;
                std::size_t consumed = 0;
                std::string error;
                const auto status =
                    parse_frame(std::span(in).subspan(offset), frame, consumed, error);
                ASSERT_NE(status, ParseStatus::invalid) << error;
                if (status == ParseStatus::incomplete) break;
                if (frame.type == FrameType::window_update)
                    credit[frame.stream] += window_increment(frame);
                if (frame.type == FrameType::reset) ++resets[frame.stream];
                offset += consumed;
            }
            in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(offset));
            read_frames();
        });
    }

    void send(const std::vector<std::uint8_t>& frames) {
        client->async_write(frames, [](const boost::system::error_code& ec, std::size_t) {
            EXPECT_FALSE(ec) << ec.message();
        });
    }

    static void open_with_data(std::vector<std::uint8_t>& out, std::uint16_t id,
                               std::size_t bytes) {
        append_open(out, id, Network::tcp,
                    HostPort::from_endpoint({*IpAddress::parse("192.0.2.1"), 80}));
        append_data_header(out, id, static_cast<std::uint16_t>(bytes));
        out.insert(out.end(), bytes, 0x5a);
    }

    // Reads `bytes` of stream `id` through its handle, as a relay would.
    void consume(std::uint16_t id, std::size_t bytes) {
        std::vector<std::uint8_t> into(bytes);
        boost::system::error_code ec;
        ASSERT_EQ(streams.at(id)->read_some(into, ec), bytes);
        ASSERT_FALSE(ec) << ec.message();
    }

    // Streams 1 and 2 hold a window each (their targets never answer: kCap in all),
    // stream 3 holds `third` bytes, and stream 4's window is read whole: its update is due
    // while the carrier holds more than the cap, so it waits.
    void hold_stream_4s_update(std::size_t third) {
        std::vector<std::uint8_t> frames;
        open_with_data(frames, 1, kWindow);
        open_with_data(frames, 2, kWindow);
        open_with_data(frames, 3, third);
        open_with_data(frames, 4, kWindow);
        send(frames);
        ASSERT_TRUE(run_until([&] {
            return streams.size() == 4 && carrier->buffered_bytes() == 3 * kWindow + third;
        }));
        consume(4, kWindow);
        run_until([] { return false; }, std::chrono::milliseconds(50));
        ASSERT_GT(carrier->buffered_bytes(), kCap);
        EXPECT_EQ(credit[4], 0U) << "the update went although the carrier held over the cap";
    }

    boost::asio::io_context io;
    shunt::test::TestCa ca;
    shunt::test::TestCertificate certificate;
    boost::asio::ssl::context client_context;
    boost::asio::ssl::context server_context;
    std::shared_ptr<TlsChannel> client;
    std::shared_ptr<MuxCarrier> carrier;
    std::map<std::uint16_t, std::unique_ptr<MuxStream>> streams;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(65536);
    std::vector<std::uint8_t> in;
    bool auth_ok_read = false;
    std::map<std::uint16_t, std::uint64_t> credit;
    std::map<std::uint16_t, int> resets;
};

// Stream 1 breaks its window: the server resets it and drops its data, and the carrier is
// under the cap again. Before, stream 4's update waited for the client's answer to that
// RESET (forever from a client that never sends one).
TEST_F(MuxCarrierSessionCap, AWithheldUpdateGoesOnceAResetStreamsDataIsDropped) {
    hold_stream_4s_update(kWindow);
    std::vector<std::uint8_t> over;
    append_data_header(over, 1, 1);
    over.push_back(0x5a);
    send(over);
    ASSERT_TRUE(run_until([&] { return resets[1] == 1; }));
    EXPECT_LE(carrier->buffered_bytes(), kCap);
    EXPECT_TRUE(run_until([&] { return credit[4] == kWindow; }))
        << "stream 4's sender is left without credit";
}

// A read of stream 3 too small for an update of its own brings the carrier under the cap.
// Before, stream 4's update waited until some stream had an update of its own due.
TEST_F(MuxCarrierSessionCap, AWithheldUpdateGoesOnceAnotherStreamsSmallReadEndsTheExcess) {
    hold_stream_4s_update(1000);
    consume(3, 1000);  // under half of stream 3's window: no update of its own
    EXPECT_LE(carrier->buffered_bytes(), kCap);
    EXPECT_TRUE(run_until([&] { return credit[4] == kWindow; }))
        << "stream 4's sender is left without credit";
    EXPECT_EQ(credit[3], 0U);
}

}  // namespace
}  // namespace shunt::outbound::mux

// A peer that sends more DATA than the stream's window breaks the protocol for that stream
// only (docs/mux.md, "Flow control"): the client resets it with code 9 (flow-control
// error) and the other streams on the carrier go on. The peer here is a raw mux server
// written for the test: TLS, AUTH / AUTH_OK, then frames built by hand.
#include <gtest/gtest.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "outbound/mux/protocol/auth.hpp"
#include "outbound/mux/protocol/frame.hpp"
#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

// A raw server speaking TLS through asio directly: it writes frames by hand.
using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

using tcp = boost::asio::ip::tcp;

// Accepts one carrier. The first stream opened gets 300,000 bytes of DATA at once (more
// than the 256 KiB window); every later stream gets `greeting` and a FIN.
class RawMuxServer {
  public:
    RawMuxServer(boost::asio::io_context& io, const shunt::test::TestCertificate& certificate,
                 const std::string& password)
        : io_(io),
          acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}),
          context_(boost::asio::ssl::context::tls_server),
          key_(auth_key(password)) {
        context_.use_certificate_chain_file(certificate.cert_file);
        context_.use_private_key_file(certificate.key_file, boost::asio::ssl::context::pem);
        acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
            if (ec) return;
            tls_ = std::make_unique<TlsStream>(std::move(socket), context_);
            tls_->async_handshake(boost::asio::ssl::stream_base::server,
                                  [this](const boost::system::error_code& handshake_error) {
                                      if (!handshake_error) read();
                                  });
        });
    }
    // Pending operations finish (aborted) while the object is still here.
    ~RawMuxServer() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        if (tls_) tls_->lowest_layer().close(ignored);
        io_.restart();
        io_.run_for(std::chrono::milliseconds(50));
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    const std::string greeting = "the other stream is fine";
    std::vector<ResultCode> resets;  // RESET codes the client sent, in order
    std::vector<std::uint16_t> reset_streams;
    bool goaway = false;

  private:
    void read() {
        tls_->async_read_some(boost::asio::buffer(chunk_),
                              [this](const boost::system::error_code& ec, std::size_t n) {
                                  if (ec) return;
                                  in_.insert(in_.end(), chunk_.begin(), chunk_.begin() + n);
                                  process();
                                  read();
                              });
    }
    void process() {
        if (!authenticated_) {
            Key proof{}, binding{};
            std::size_t consumed = 0;
            if (parse_auth_message(in_, proof, consumed) != AuthParse::complete) return;
            if (!exporter_binding(tls_->native_handle(), binding) ||
                !proofs_equal(proof, client_proof(key_, binding)))
                return;
            in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(consumed));
            authenticated_ = true;
            const auto ok = build_auth_message(server_proof(key_, binding));
            send(ok);
        }
        for (;;) {
            Frame frame;
            std::size_t consumed = 0;
            std::string error;
            if (parse_frame(in_, frame, consumed, error) != ParseStatus::complete) break;
            on_frame(frame);
            in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(consumed));
        }
    }
    void on_frame(const Frame& frame) {
        std::vector<std::uint8_t> out;
        if (frame.type == FrameType::open) {
            append_open_result(out, frame.stream, ResultCode::ok, "");
            if (++opened_ == 1) {
                // 5 x 60,000 = 300,000 bytes: beyond the 262,144 the client granted.
                const std::vector<std::uint8_t> payload(60'000, 0x11);
                for (int i = 0; i < 5; ++i) {
                    append_data_header(out, frame.stream, 60'000);
                    out.insert(out.end(), payload.begin(), payload.end());
                }
            } else {
                append_data_header(out, frame.stream, static_cast<std::uint16_t>(greeting.size()));
                out.insert(out.end(), greeting.begin(), greeting.end());
                append_fin(out, frame.stream);
            }
        } else if (frame.type == FrameType::reset) {
            CodeReason why;
            std::string error;
            parse_code_reason(frame.payload, why, error);
            resets.push_back(why.code);
            reset_streams.push_back(frame.stream);
        } else if (frame.type == FrameType::goaway) {
            goaway = true;
        } else if (frame.type == FrameType::ping) {
            std::array<std::uint8_t, kPingSize> opaque{};
            std::copy_n(frame.payload.begin(), kPingSize, opaque.begin());
            append_pong(out, opaque);
        }
        if (!out.empty()) send(out);
    }
    void send(const std::vector<std::uint8_t>& bytes) {
        const bool idle = queue_.empty() && !writing_;
        queue_.insert(queue_.end(), bytes.begin(), bytes.end());
        if (idle) flush();
    }
    void flush() {
        if (writing_ || queue_.empty()) return;
        writing_ = true;
        sending_ = std::move(queue_);
        queue_.clear();
        boost::asio::async_write(*tls_, boost::asio::buffer(sending_),
                                 [this](const boost::system::error_code& ec, std::size_t) {
                                     if (ec) return;  // the server may be gone
                                     writing_ = false;
                                     flush();
                                 });
    }

    boost::asio::io_context& io_;
    tcp::acceptor acceptor_;
    boost::asio::ssl::context context_;
    Key key_;
    std::unique_ptr<TlsStream> tls_;
    std::array<std::uint8_t, 65536> chunk_{};
    std::vector<std::uint8_t> in_, queue_, sending_;
    bool writing_ = false;
    bool authenticated_ = false;
    int opened_ = 0;
};

// Reads until EOF or an error; what was read and how it ended.
struct ReadAll {
    std::string data;
    boost::system::error_code end;
    bool done = false;
    void run(Stream& stream) {
        stream.async_wait_readable([this, &stream](const boost::system::error_code&) {
            std::array<std::uint8_t, 4096> buffer{};
            for (;;) {
                boost::system::error_code ec;
                const std::size_t n = stream.read_some(buffer, ec);
                if (ec == boost::asio::error::would_block) return run(stream);
                if (ec) {
                    end = ec;
                    done = true;
                    return;
                }
                data.append(buffer.begin(), buffer.begin() + n);
            }
        });
    }
};

using MuxWindowViolation = MuxFixture;

TEST_F(MuxWindowViolation, StreamBeyondItsWindowIsResetAloneOthersGoOn) {
    RawMuxServer raw(io, certificate, "secret");
    server_port = raw.port();
    auto options = client_options();
    options.carriers = 1;
    auto client = make_client(options);

    std::string reason;
    auto flooded = connect(*client, 9, reason);
    ASSERT_TRUE(flooded) << reason;
    // Not reading: the client's credit stays at the initial window, which the server's
    // 300,000 bytes exceed (reading would return credit and make them legal).
    ASSERT_TRUE(run_until([&] { return !raw.resets.empty(); }, std::chrono::milliseconds(5000)))
        << "no RESET reached the server";
    EXPECT_EQ(raw.resets[0], ResultCode::flow_control);
    EXPECT_EQ(raw.reset_streams[0], dynamic_cast<MuxStream&>(*flooded).id());
    ReadAll flooded_read;
    flooded_read.run(*flooded);
    ASSERT_TRUE(run_until([&] { return flooded_read.done; }, std::chrono::milliseconds(2000)));
    EXPECT_EQ(flooded_read.end, boost::asio::error::connection_reset) << flooded_read.end.message();

    // Same carrier, next stream: unaffected.
    auto other = connect(*client, 9, reason);
    ASSERT_TRUE(other) << reason;
    ReadAll other_read;
    other_read.run(*other);
    ASSERT_TRUE(run_until([&] { return other_read.done; }, std::chrono::milliseconds(5000)));
    EXPECT_EQ(other_read.end, boost::asio::error::eof) << other_read.end.message();
    EXPECT_EQ(other_read.data, raw.greeting);
    EXPECT_FALSE(raw.goaway) << "a stream's window error is not a carrier error";
    EXPECT_EQ(client->pool().stats().carriers_lost, 0U);
    EXPECT_EQ(client->pool().stats().connects, 1U);
}

}  // namespace
}  // namespace shunt::outbound::mux::test

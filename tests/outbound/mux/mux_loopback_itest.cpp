// The mux client and server against each other on loopback: bytes relayed intact, the
// password and the certificate checked both ways (docs/mux.md).
#include <gtest/gtest.h>

#include "tests/support/child_process.hpp"
#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

using MuxLoopback = MuxFixture;

TEST_F(MuxLoopback, RelaysEightMegabytesBothWays) {
    start_server();
    auto client = make_client(client_options());
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(stream) << reason;
    const auto data = random_bytes(8 * 1024 * 1024);
    std::vector<std::uint8_t> back;
    ASSERT_TRUE(echo(*stream, data, back)) << "echo failed after " << back.size() << " bytes";
    EXPECT_TRUE(back == data) << "the bytes came back changed";
    EXPECT_EQ(server->stats().authenticated, 2U) << "two carriers by default";
    EXPECT_EQ(server->stats().auth_failed, 0U);
}

TEST_F(MuxLoopback, HalfCloseReachesTheTargetAndComesBack) {
    start_server();
    auto client = make_client(client_options());
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(stream) << reason;
    std::vector<std::uint8_t> back;
    ASSERT_TRUE(echo(*stream, random_bytes(1000), back));
    stream->shutdown_send();
    // The echo target answers our FIN with its own: the stream reads EOF.
    bool eof = false;
    stream->async_wait_readable([&](const boost::system::error_code&) {});
    ASSERT_TRUE(run_until([&] {
        std::array<std::uint8_t, 16> buffer{};
        boost::system::error_code ec;
        stream->read_some(buffer, ec);
        eof = ec == boost::asio::error::eof;
        return eof;
    }));
}

TEST_F(MuxLoopback, WrongPasswordIsRefusedLikeAClosingTlsServer) {
    start_server("secret");
    auto client = make_client(client_options("not-the-password"));
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    EXPECT_FALSE(stream);
    EXPECT_NE(reason.find("no carrier"), std::string::npos) << reason;
    EXPECT_GE(server->stats().auth_failed, 1U);
    EXPECT_EQ(server->stats().authenticated, 0U);
    EXPECT_EQ(echo_target.connections(), 0U) << "no target may be opened without the password";
}

TEST_F(MuxLoopback, CertificateFromAnotherCaIsRefused) {
    start_server();
    shunt::test::TestCa other;
    auto options = client_options();
    options.ca_file = other.ca_file();
    auto client = make_client(options);
    std::string reason;
    EXPECT_FALSE(connect(*client, echo_target.port(), reason));
    EXPECT_NE(client->pool().last_error().find("certificate"), std::string::npos)
        << client->pool().last_error();
    EXPECT_EQ(server->stats().authenticated, 0U);
}

TEST_F(MuxLoopback, PinnedFingerprintIsTheOnlyTrust) {
    start_server();
    // The SHA-256 of the DER certificate, as `openssl x509 -fingerprint -sha256` prints it.
    const auto printed = shunt::test::run_command({"openssl", "x509", "-in", certificate.cert_file,
                                                   "-noout", "-fingerprint", "-sha256"})
                             .out;
    const auto hex = printed.substr(printed.find('=') + 1);
    std::array<std::uint8_t, 32> pin{};
    for (std::size_t i = 0; i < 32; ++i)
        pin[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(i * 3, 2), nullptr, 16));

    auto options = client_options();
    options.ca_file.clear();
    options.sni.clear();
    options.fingerprint = pin;
    auto client = make_client(options);
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(stream) << reason;
    std::vector<std::uint8_t> back;
    EXPECT_TRUE(echo(*stream, random_bytes(4096), back));

    pin[0] ^= 1;
    options.fingerprint = pin;
    auto wrong = make_client(options);
    EXPECT_FALSE(connect(*wrong, echo_target.port(), reason));
    EXPECT_NE(wrong->pool().last_error().find("fingerprint"), std::string::npos)
        << wrong->pool().last_error();
}

TEST_F(MuxLoopback, ClosedTargetPortFailsTheStreamWithRefused) {
    start_server();
    auto client = make_client(client_options());
    std::string reason;
    // A port nothing listens on: the stream opens at once (no round trip), then fails.
    auto stream = connect(*client, shunt::test::free_port(), reason);
    ASSERT_TRUE(stream) << reason;
    bool failed = false;
    boost::system::error_code error;
    stream->async_wait_readable([&](const boost::system::error_code&) {
        std::array<std::uint8_t, 16> buffer{};
        stream->read_some(buffer, error);
        failed = true;
    });
    ASSERT_TRUE(run_until([&] { return failed; }));
    EXPECT_EQ(error, boost::asio::error::connection_refused) << error.message();
}

TEST_F(MuxLoopback, ServerShutDownLetsOpenStreamsFinishThenStops) {
    start_server();
    auto client = make_client(client_options());
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(stream) << reason;
    bool done = false;
    const auto start = std::chrono::steady_clock::now();
    server->shut_down(std::chrono::seconds(8), [&] { done = true; });
    // GOAWAY: the open stream still works...
    std::vector<std::uint8_t> back;
    EXPECT_TRUE(echo(*stream, random_bytes(100000), back));
    EXPECT_FALSE(done) << "a carrier with an open stream must not be cut";
    // ...and once it is finished the server stops, well before the grace period.
    stream->close(false);
    ASSERT_TRUE(run_until([&] { return done; }));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(server->carrier_count(), 0U);
}

}  // namespace
}  // namespace shunt::outbound::mux::test

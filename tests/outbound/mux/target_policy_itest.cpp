// The mux server's target policy end to end (outbound/mux/server/target_policy.hpp): with
// the default policy a client reaches nothing on the server's loopback — not by address,
// not written as IPv4-mapped IPv6, not through a name that resolves there, not by UDP —
// and the target never sees a connection; deny_targets refuses on top of an allowing
// policy. The refusal names the reason at the client.
#include <gtest/gtest.h>

#include <array>

#include <boost/asio/ip/udp.hpp>

#include "outbound/mux/session/mux_stream.hpp"
#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

class MuxTargetPolicy : public MuxFixture {
  protected:
    // Opens a TCP stream to `target` and waits for its failure: the error and the reason.
    std::pair<boost::system::error_code, std::string> refusal(MuxOutbound& client,
                                                              const Target& target) {
        std::unique_ptr<Stream> stream;
        std::string reason;
        bool connected = false;
        client.connect(target, [&](const boost::system::error_code& ec, std::unique_ptr<Stream> s,
                                   std::string why) {
            connected = true;
            stream = std::move(s);
            reason = ec ? why : "";
        });
        if (!run_until([&] { return connected; }) || !stream) return {{}, "no stream: " + reason};
        auto* mux_stream = dynamic_cast<MuxStream*>(stream.get());
        if (!run_until([&] { return bool(mux_stream->error()); }))
            return {{}, "the stream was not refused"};
        return {mux_stream->error(), mux_stream->reason()};
    }
};

Target tcp_target(const std::string& address_or_name, std::uint16_t port) {
    Target target;
    if (auto address = IpAddress::parse(address_or_name))
        target.address = address;
    else
        target.domain = address_or_name;
    target.port = port;
    return target;
}

TEST_F(MuxTargetPolicy, TheDefaultPolicyRefusesLoopbackByAddressMappedAddressAndName) {
    server_targets = TargetPolicy{};
    start_server();
    auto client = make_client(client_options());
    const auto port = echo_target.port();
    for (const std::string target : {"127.0.0.1", "::ffff:127.0.0.1", "localhost"}) {
        const auto [error, reason] = refusal(*client, tcp_target(target, port));
        EXPECT_EQ(error, boost::asio::error::access_denied) << target << ": " << error.message();
        EXPECT_NE(reason.find("loopback address (allow_private_targets = false)"),
                  std::string::npos)
            << target << ": " << reason;
    }
    EXPECT_EQ(echo_target.connections(), 0U) << "a denied target must never be connected";
}

TEST_F(MuxTargetPolicy, DenyTargetsRefusesEvenWhenPrivateTargetsAreAllowed) {
    server_targets = TargetPolicy{true, {*Prefix::parse("127.0.0.0/24")}};
    start_server();
    auto client = make_client(client_options());
    const auto [error, reason] = refusal(*client, tcp_target("127.0.0.1", echo_target.port()));
    EXPECT_EQ(error, boost::asio::error::access_denied) << error.message();
    EXPECT_NE(reason.find("is in deny_targets (127.0.0.0/24)"), std::string::npos) << reason;
    EXPECT_EQ(echo_target.connections(), 0U);
}

TEST_F(MuxTargetPolicy, AnAllowingPolicyStillReachesTheTarget) {
    server_targets = TargetPolicy{true, {*Prefix::parse("10.0.0.0/8")}};
    start_server();
    auto client = make_client(client_options());
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(stream) << reason;
    std::vector<std::uint8_t> back;
    EXPECT_TRUE(echo(*stream, random_bytes(4096), back));
    EXPECT_EQ(echo_target.connections(), 1U);
}

TEST_F(MuxTargetPolicy, DatagramsToADeniedAddressAreDropped) {
    server_targets = TargetPolicy{};
    start_server();
    boost::asio::ip::udp::socket target_socket(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto client = make_client(client_options());
    Target target;
    target.address = IpAddress::parse("127.0.0.1");
    target.port = target_socket.local_endpoint().port();
    std::string refusal_reason;
    auto flow = client->open_udp(target, Endpoint{*IpAddress::parse("198.18.0.9"), target.port},
                                 refusal_reason);
    ASSERT_TRUE(flow) << refusal_reason;
    flow->start([](std::span<const std::uint8_t>, const Endpoint&) {}, [](std::string_view) {});
    const std::array<std::uint8_t, 4> payload{1, 2, 3, 4};
    for (int i = 0; i < 3; ++i)
        flow->send(payload, Endpoint{*IpAddress::parse("127.0.0.1"), target.port});
    // The datagrams reach the server (its UDP stream exists) but never the target.
    ASSERT_TRUE(run_until([&] { return server->stream_count() == 1; }));
    run_until([] { return false; }, std::chrono::milliseconds(500));
    boost::system::error_code ec;
    EXPECT_EQ(target_socket.available(ec), 0U) << "a datagram reached a denied target";
    flow->close();
}

}  // namespace
}  // namespace shunt::outbound::mux::test

// UDP through a mux stream (docs/mux.md, "UDP"): datagrams to the flow's address reach the
// target and its replies come back as from the address the application saw; a datagram
// to another address keeps that source (full cone); close() ends the server's relay.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include <boost/asio/ip/udp.hpp>

#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

using udp = boost::asio::ip::udp;

// Sends every datagram back to where it came from, prefixed with `tag`.
class UdpEchoServer {
  public:
    UdpEchoServer(boost::asio::io_context& io, std::string tag)
        : socket_(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
          tag_(std::move(tag)) {
        receive();
    }
    std::uint16_t port() const { return socket_.local_endpoint().port(); }
    std::size_t received() const { return received_; }

  private:
    void receive() {
        socket_.async_receive_from(boost::asio::buffer(buffer_), sender_,
                                   [this](const boost::system::error_code& ec, std::size_t n) {
                                       if (ec) return;
                                       ++received_;
                                       std::string reply = tag_ + std::string(buffer_.data(), n);
                                       boost::system::error_code ignored;
                                       socket_.send_to(boost::asio::buffer(reply), sender_, 0,
                                                       ignored);
                                       receive();
                                   });
    }

    udp::socket socket_;
    std::string tag_;
    std::array<char, 2048> buffer_{};
    udp::endpoint sender_;
    std::size_t received_ = 0;
};

struct Received {
    std::string payload;
    Endpoint from;
};

std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

using MuxUdp = MuxFixture;

TEST_F(MuxUdp, RepliesComeFromTheAddressSeenAndOtherSourcesKeepTheirOwn) {
    start_server();
    UdpEchoServer target_server(io, "target:");
    UdpEchoServer other_server(io, "other:");
    auto client = make_client(client_options());

    Target target;
    target.address = IpAddress::parse("127.0.0.1");
    target.port = target_server.port();
    const Endpoint as_seen{*IpAddress::parse("198.18.0.7"), 5353};
    std::string refusal;
    auto flow = client->open_udp(target, as_seen, refusal);
    ASSERT_TRUE(flow) << refusal;
    std::vector<Received> received;
    std::string error;
    flow->start(
        [&](std::span<const std::uint8_t> payload, const Endpoint& from) {
            received.push_back({std::string(payload.begin(), payload.end()), from});
        },
        [&](std::string_view why) { error = why; });

    // Sent before the stream exists: they wait in the flow's small queue.
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(flow->send(bytes("ping " + std::to_string(i)), as_seen), UdpSendResult::sent);
    ASSERT_TRUE(run_until([&] { return received.size() >= 3 || !error.empty(); },
                          std::chrono::milliseconds(5000)))
        << "got " << received.size() << " replies";
    ASSERT_TRUE(error.empty()) << error;
    for (const auto& r : received) {
        EXPECT_EQ(r.from, as_seen)
            << "a reply from the target is reported as from as_seen, not " << r.from.to_string();
        EXPECT_EQ(r.payload.rfind("target:ping ", 0), 0U) << r.payload;
    }
    EXPECT_EQ(server->stream_count(), 1U) << "one UDP stream for the flow";

    // Full cone: a datagram to another address, and its reply keeps that source.
    const Endpoint other{*IpAddress::parse("127.0.0.1"), other_server.port()};
    received.clear();
    EXPECT_EQ(flow->send(bytes("hello"), other), UdpSendResult::sent);
    ASSERT_TRUE(run_until([&] { return !received.empty(); }, std::chrono::milliseconds(5000)));
    EXPECT_EQ(received[0].payload, "other:hello");
    EXPECT_EQ(received[0].from, other) << received[0].from.to_string();
    EXPECT_EQ(target_server.received(), 3U);
    EXPECT_EQ(other_server.received(), 1U);

    // close(): the stream is reset and the server's UdpStreamRelay goes with it.
    flow->close();
    EXPECT_EQ(flow->send(bytes("late"), as_seen), UdpSendResult::failed);
    ASSERT_TRUE(
        run_until([&] { return server->stream_count() == 0; }, std::chrono::milliseconds(3000)))
        << "server streams: " << server->stream_count();
    EXPECT_TRUE(run_until([&] { return client->pool().stream_count() == 0; },
                          std::chrono::milliseconds(1000)));
    EXPECT_TRUE(error.empty()) << "no error handler after close(): " << error;
}

}  // namespace
}  // namespace shunt::outbound::mux::test

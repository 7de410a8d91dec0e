// UdpSessionTable on the real data path, in a namespace of its own: an application socket
// sends to a fake IP routed into a TUN device; the test's read loop hands the packet to the
// table; a DirectUdpOutbound (marked, unconnected) relays it to a real UDP echo server on an
// address on lo, standing in for the resolved server. Checks the reply's fake source,
// full cone (a second server address reaches the app), the idle timeout and the LRU cap.
#include <gtest/gtest.h>

#include <boost/asio/ip/udp.hpp>

#include <optional>
#include <string>

#include "netstack/icmp/icmp_responder.hpp"
#include "netstack/udp/udp_session_table.hpp"
#include "outbound/direct/direct_outbound.hpp"
#include "tests/netstack/packet/tun_test_loop.hpp"
#include "tests/support/child_process.hpp"

namespace shunt::netstack {
namespace {

using boost::asio::ip::udp;

const Endpoint kFakeServer = *Endpoint::parse("198.18.3.4:53");
const Endpoint kRealServer = *Endpoint::parse("10.77.0.1:5353");
const Endpoint kSecondServer = *Endpoint::parse("10.77.0.2:7777");

udp::endpoint asio_endpoint(const Endpoint& endpoint) {
    return {boost::asio::ip::make_address(endpoint.address.to_string()), endpoint.port};
}

// A UDP echo server that remembers who it heard from.
class EchoServer {
  public:
    EchoServer(boost::asio::io_context& io, const Endpoint& local)
        : socket_(io, asio_endpoint(local)) {
        receive();
    }
    std::optional<udp::endpoint> last_sender;
    int echoed = 0;

  private:
    void receive() {
        socket_.async_receive_from(boost::asio::buffer(buffer_), sender_,
                                   [this](const boost::system::error_code& error, std::size_t n) {
                                       if (error) return;
                                       last_sender = sender_;
                                       socket_.send_to(boost::asio::buffer(buffer_.data(), n),
                                                       sender_);
                                       ++echoed;
                                       receive();
                                   });
    }
    udp::socket socket_;
    udp::endpoint sender_;
    std::array<char, 2048> buffer_{};
};

// An application's socket: sends, and polls for one datagram without blocking the loop.
struct AppSocket {
    explicit AppSocket(boost::asio::io_context& io) : socket(io, udp::endpoint(udp::v4(), 0)) {
        socket.non_blocking(true);
    }
    void send(const std::string& text, const Endpoint& to) {
        socket.send_to(boost::asio::buffer(text), asio_endpoint(to));
    }
    bool poll() {
        std::array<char, 2048> buffer{};
        boost::system::error_code error;
        const std::size_t n = socket.receive_from(boost::asio::buffer(buffer), sender, 0, error);
        if (error) return false;
        received = std::string(buffer.data(), n);
        return true;
    }
    udp::socket socket;
    udp::endpoint sender;
    std::string received;
};

class UdpSessionTableItest : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto run = [this](std::vector<std::string> argv) {
            const auto result =
                shunt::test::run_command(argv, std::chrono::seconds(5), netns.name());
            ASSERT_EQ(result.exit_code, 0) << argv[0] << " " << argv[1];
        };
        // The servers' addresses live on lo (no dummy module in every kernel). Full-cone
        // replies from 10.77.0.2 come back through the TUN with a source that is local
        // here, which the kernel drops as a martian unless the TUN accepts local sources.
        run({"ip", "addr", "add", "10.77.0.1/32", "dev", "lo"});
        run({"ip", "addr", "add", "10.77.0.2/32", "dev", "lo"});
        run({"sysctl", "-qw", "net.ipv4.conf." + tun.device().name() + ".accept_local=1"});
        run({"sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0"});
        run({"sysctl", "-qw", "net.ipv4.conf." + tun.device().name() + ".rp_filter=0"});
    }

    UdpSessionTable make_table(UdpSessionLimits limits) {
        return UdpSessionTable(
            io.get_executor(),
            [this](const UdpFlow& flow) {
                // The test's "fake-IP pool": one fake address names the real server.
                const Endpoint remote =
                    flow.destination == kFakeServer ? kRealServer : flow.destination;
                outbound::Target target;
                target.address = remote.address;
                target.port = remote.port;
                std::string refusal;
                return UdpSessionPlan{direct.open_udp(target, flow.destination, refusal),
                                      flow.destination, nullptr};
            },
            tun.writer(), limits);
    }

    shunt::test::NetnsGuard netns;
    test::CapturingTun tun{"shunt-u1"};
    boost::asio::io_context io;
    outbound::DirectOutbound direct{io.get_executor(), {0x162}, nullptr};
};

TEST_F(UdpSessionTableItest, RelaysWithFakeSourceAndFullCone) {
    EchoServer server(io, kRealServer);
    auto table = make_table({});
    test::TunReadLoop loop(io, tun.fd(), [&](const IpPacketView& packet) {
        if (packet.protocol == kProtocolUdp) table.handle_packet(packet);
    });
    AppSocket app(io);
    app.send("question", kFakeServer);
    ASSERT_TRUE(test::run_until(io, [&] { return app.poll(); })) << "no reply through the TUN";
    EXPECT_EQ(app.received, "question");
    EXPECT_EQ(app.sender, asio_endpoint(kFakeServer)) << "reply must come from the fake IP";
    ASSERT_TRUE(server.last_sender);
    EXPECT_NE(server.last_sender->address().to_string(), "198.18.0.1");

    // Full cone: another address sends to the session's outbound port; the app hears it
    // from that address.
    udp::socket second(io, asio_endpoint(kSecondServer));
    second.send_to(boost::asio::buffer(std::string("unsolicited")),
                   udp::endpoint(server.last_sender->address(), server.last_sender->port()));
    ASSERT_TRUE(test::run_until(io, [&] { return app.poll(); })) << "full-cone reply lost";
    EXPECT_EQ(app.received, "unsolicited");
    EXPECT_EQ(app.sender, asio_endpoint(kSecondServer));

    // The same flow reuses its session.
    app.send("again", kFakeServer);
    ASSERT_TRUE(test::run_until(io, [&] { return app.poll(); }));
    EXPECT_EQ(app.received, "again");
    EXPECT_EQ(table.counters().sessions_opened, 1u);
    EXPECT_EQ(table.counters().packets_out, 2u);
    EXPECT_EQ(table.counters().packets_in, 3u);
    EXPECT_EQ(table.size(), 1u);
}

TEST_F(UdpSessionTableItest, CapEvictsLeastRecentlyUsedAndIdleSessionsClose) {
    EchoServer server(io, kRealServer);
    auto table = make_table({std::chrono::milliseconds(300), 2});
    test::TunReadLoop loop(io, tun.fd(), [&](const IpPacketView& packet) {
        if (packet.protocol == kProtocolUdp) table.handle_packet(packet);
    });
    AppSocket first(io);
    AppSocket second(io);
    AppSocket third(io);
    first.send("1", kFakeServer);
    ASSERT_TRUE(test::run_until(io, [&] { return first.poll(); }));
    const udp::endpoint first_outbound = *server.last_sender;
    second.send("2", kFakeServer);
    ASSERT_TRUE(test::run_until(io, [&] { return second.poll(); }));
    third.send("3", kFakeServer);
    ASSERT_TRUE(test::run_until(io, [&] { return third.poll(); }));
    EXPECT_EQ(table.size(), 2u);
    EXPECT_EQ(table.counters().sessions_evicted, 1u);

    // The evicted session's socket is closed: nothing sent to it reaches the first app.
    udp::socket other(io, asio_endpoint(kSecondServer));
    other.send_to(boost::asio::buffer(std::string("late")), first_outbound);
    EXPECT_FALSE(test::run_until(
        io, [&] { return first.poll(); }, std::chrono::milliseconds(200)));

    // No traffic: both remaining sessions close by the idle timeout.
    EXPECT_TRUE(test::run_until(
        io, [&] { return table.size() == 0; }, std::chrono::seconds(2)));
    EXPECT_EQ(table.counters().sessions_idle, 2u);
    EXPECT_EQ(table.counters().sessions_closed, 3u);
}

}  // namespace
}  // namespace shunt::netstack

// Latency under load on one carrier: over a 20 Mbit/s link with a 64 KB buffer (htb on
// the loopback of a namespace of the test's own, for the carrier's client-to-server
// packets only), an interactive stream B (small echoes) beside a stream A uploading as
// fast as it can. B's requests wait behind what of A is already queued — in the carrier,
// the socket and the link — which A's window bounds (256 KiB: ~100 ms at this rate,
// measured 100-109 ms). The test guards that bound: a carrier queue or a window that grew
// without regard to the link would put seconds between B's request and its answer.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "tests/support/child_process.hpp"
#include "tests/support/mux_fixture.hpp"
#include "tests/support/netns_guard.hpp"

namespace shunt::outbound::mux::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Reads and drops everything: A's upload target.
class DiscardTarget {
  public:
    explicit DiscardTarget(boost::asio::io_context& io)
        : acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        accept();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    std::size_t received() const { return *received_; }

  private:
    void accept() {
        acceptor_.async_accept(
            [this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
                if (ec) return;
                auto s = std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket));
                drain_more(s, buffer_, received_);
                accept();
            });
    }
    // The handlers own what they use: they may run after the target is gone.
    static void drain_more(std::shared_ptr<boost::asio::ip::tcp::socket> socket,
                           std::shared_ptr<std::vector<std::uint8_t>> buffer,
                           std::shared_ptr<std::size_t> received) {
        socket->async_read_some(
            boost::asio::buffer(*buffer),
            [socket, buffer, received](const boost::system::error_code& ec, std::size_t n) {
                if (ec) return;
                *received += n;
                drain_more(socket, buffer, received);
            });
    }
    boost::asio::ip::tcp::acceptor acceptor_;
    std::shared_ptr<std::vector<std::uint8_t>> buffer_ =
        std::make_shared<std::vector<std::uint8_t>>(65536);
    std::shared_ptr<std::size_t> received_ = std::make_shared<std::size_t>(0);
};

class MuxLatencyUnderLoad : public MuxFixture {
  protected:
    // Median round trip of `rounds` 64-byte echoes on `stream`, in ms; -1 on failure.
    double echo_rtt_ms(Stream& stream, int rounds) {
        std::vector<double> samples;
        const std::vector<std::uint8_t> ping(64, 0x42);
        std::vector<std::uint8_t> back;
        for (int i = 0; i < rounds; ++i) {
            const auto start = Clock::now();
            if (!echo(stream, ping, back)) {
                std::cout << "echo " << i << " failed after "
                          << std::chrono::duration<double, std::milli>(Clock::now() - start).count()
                          << " ms: " << back.size() << " bytes back\n";
                return -1;
            }
            samples.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        }
        std::sort(samples.begin(), samples.end());
        return samples[samples.size() / 2];
    }
};

TEST_F(MuxLatencyUnderLoad, AnUploadDoesNotQueueAnotherStreamBehindMegabytes) {
    shunt::test::NetnsGuard netns("shunt-lat");
    // A's window is the server's to grow (it receives A's data): it refreshes its
    // round-trip samples every 200 ms instead of 5 s, so a test of seconds sees many.
    CarrierOptions server_carrier;
    server_carrier.rtt_refresh = 200ms;
    start_server("secret", 0, server_carrier);
    // The carrier's client-to-server direction becomes a 20 Mbit/s link with a 64 KB
    // buffer (htb on loopback, for packets to the server's port); every other hop (server
    // to targets) stays loopback-fast. Ethernet-sized packets, as on a real link (without
    // GSO's 64 KB packets, which a 64 KB buffer would drop whole).
    const std::string port = std::to_string(server_port);
    for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
             {"ip", "link", "set", "lo", "mtu", "1500", "gso_max_size", "1500"},
             {"tc", "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "20"},
             {"tc", "class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate",
              "20mbit"},
             {"tc", "class", "add", "dev", "lo", "parent", "1:", "classid", "1:20", "htb", "rate",
              "10gbit"},
             {"tc", "qdisc", "add", "dev", "lo", "parent", "1:10", "bfifo", "limit", "64k"},
             {"tc", "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1",
              "u32", "match", "ip", "dport", port, "0xffff", "flowid", "1:10"}}) {
        const auto result = shunt::test::run_command(command);
        ASSERT_EQ(result.exit_code, 0) << command[0] << " " << command[1] << ": " << result.out;
    }
    EchoTarget echo_in_ns(io);
    DiscardTarget sink(io);
    auto options = client_options();
    options.carriers = 1;
    auto client = make_client(options);
    std::string reason;
    auto b = connect(*client, echo_in_ns.port(), reason);
    ASSERT_TRUE(b) << reason;
    const double idle = echo_rtt_ms(*b, 9);
    ASSERT_GT(idle, 0);

    auto a = connect(*client, sink.port(), reason);
    ASSERT_TRUE(a) << reason;
    const std::vector<std::uint8_t> chunk(256 * 1024, 0x5a);
    bool stop = false;
    std::function<void()> upload = [&] {
        if (stop) return;
        a->async_write({boost::asio::buffer(chunk)},
                       [&](const boost::system::error_code& ec, std::size_t) {
                           if (!ec) upload();
                       });
    };
    upload();
    // Long enough for many round-trip samples under load: growth that followed them
    // (rather than the path's minimum) would have grown A's window by now.
    run_until([] { return false; }, 8s);
    const std::size_t before = sink.received();
    const double loaded = echo_rtt_ms(*b, 9);
    const std::size_t moved = sink.received() - before;
    stop = true;
    std::cout << "[ figures  ] B's echo RTT over 20 Mbit/s: " << idle << " ms idle, " << loaded
              << " ms beside an upload (" << moved / 1024 << " KiB uploaded meanwhile)\n";
    ASSERT_GT(loaded, 0);
    EXPECT_GT(moved, 64U * 1024) << "the upload must be running";
    // A's window (256 KiB) in flight is ~105 ms at this rate; the margin is for a loaded
    // machine. A window grown by round trips that include the queue doubles it (measured
    // 218 ms after 6 s with the smoothed RTT), and keeps growing.
    EXPECT_LT(loaded, 160) << "B waits behind more of the upload than A's initial window";
    a->close(false);
    b->close(false);
}

}  // namespace
}  // namespace shunt::outbound::mux::test

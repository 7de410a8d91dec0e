// A carrier that dies (its TCP connection killed from outside) or goes silent (a server
// that stops answering): every stream on it fails at once, and the pool reconnects
// (docs/mux.md, "Carrier life").
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <memory>

#include <boost/asio/write.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

using Clock = std::chrono::steady_clock;
using tcp = boost::asio::ip::tcp;

// A TCP forwarder on loopback between the client and the server; freeze() makes it stop
// moving bytes both ways while keeping both connections open: a server gone silent.
class FreezableForwarder {
  public:
    FreezableForwarder(boost::asio::io_context& io, std::uint16_t upstream_port)
        : io_(io),
          acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}),
          upstream_port_(upstream_port) {
        accept();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    void freeze() { *frozen_ = true; }

  private:
    struct Pipe : std::enable_shared_from_this<Pipe> {
        Pipe(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to,
             std::shared_ptr<bool> frozen)
            : from(std::move(from)), to(std::move(to)), frozen(std::move(frozen)) {}
        std::shared_ptr<tcp::socket> from, to;
        std::shared_ptr<bool> frozen;
        std::array<std::uint8_t, 16384> buffer{};
        void run() {
            from->async_read_some(
                boost::asio::buffer(buffer),
                [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                    // Frozen: the bytes are swallowed and the pipe stops, the sockets stay open.
                    if (ec || *self->frozen) {
                        if (ec) {
                            boost::system::error_code ignored;
                            self->to->close(ignored);
                        }
                        return;
                    }
                    boost::asio::async_write(
                        *self->to, boost::asio::buffer(self->buffer.data(), n),
                        [self](const boost::system::error_code& write_error, std::size_t) {
                            if (!write_error) self->run();
                        });
                });
        }
    };

    void accept() {
        acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
            if (ec) return;
            auto down = std::make_shared<tcp::socket>(std::move(socket));
            auto up = std::make_shared<tcp::socket>(io_);
            up->async_connect({boost::asio::ip::make_address("127.0.0.1"), upstream_port_},
                              [frozen = frozen_, kept = kept_, down,
                               up](const boost::system::error_code& connect_error) {
                                  if (connect_error) return;
                                  std::make_shared<Pipe>(down, up, frozen)->run();
                                  std::make_shared<Pipe>(up, down, frozen)->run();
                                  kept->push_back(down);
                                  kept->push_back(up);
                              });
            accept();
        });
    }

    boost::asio::io_context& io_;
    tcp::acceptor acceptor_;
    std::uint16_t upstream_port_;
    std::shared_ptr<bool> frozen_ = std::make_shared<bool>(false);
    // Frozen connections stay open until the forwarder goes.
    std::shared_ptr<std::vector<std::shared_ptr<tcp::socket>>> kept_ =
        std::make_shared<std::vector<std::shared_ptr<tcp::socket>>>();
};

// Watches a stream until a read reports an error (the way a relay would see it).
struct FailureWatch {
    bool failed = false;
    boost::system::error_code error;
    Clock::time_point when{};

    void watch(Stream& stream) {
        stream.async_wait_readable([this, &stream](const boost::system::error_code& wait_error) {
            std::array<std::uint8_t, 4096> buffer{};
            boost::system::error_code ec = wait_error;
            if (!ec) {
                do stream.read_some(buffer, ec);
                while (!ec);
            }
            if (ec == boost::asio::error::would_block) {
                watch(stream);
                return;
            }
            failed = true;
            error = ec;
            when = Clock::now();
        });
    }
};

using MuxCarrierLoss = MuxFixture;

TEST_F(MuxCarrierLoss, KilledCarrierFailsEveryStreamAtOnceAndThePoolReconnects) {
    start_server();
    auto client = make_client(client_options());  // two carriers, keepalive 45 s
    constexpr int kStreams = 6;
    std::vector<std::unique_ptr<Stream>> streams;
    std::vector<FailureWatch> watches(kStreams);
    for (int i = 0; i < kStreams; ++i) {
        std::string reason;
        streams.push_back(connect(*client, echo_target.port(), reason));
        ASSERT_TRUE(streams.back()) << reason;
        std::vector<std::uint8_t> back;
        ASSERT_TRUE(echo(*streams.back(), random_bytes(100, i), back));
    }
    ASSERT_EQ(client->pool().carriers_up(), 2U);
    const auto lost_before = client->pool().stats().carriers_lost;
    for (int i = 0; i < kStreams; ++i) watches[i].watch(*streams[i]);

    // Kill the client's end of every carrier from outside (sock_diag destroy: the socket
    // sees ECONNABORTED, the server an RST). Without CONFIG_INET_DIAG_DESTROY, stopping the
    // server closes the carriers instead.
    const auto killed_at = Clock::now();
    const auto ss = shunt::test::run_command(
        {"ss", "-K", "-t", "dst", "127.0.0.1", "dport", "=", std::to_string(server_port)});
    const bool killed_by_ss = ss.exit_code == 0;
    if (!killed_by_ss) {
        server->stop();
        server.reset();
        start_server("secret", server_port);
    }
    ASSERT_TRUE(run_until(
        [&] {
            return std::all_of(watches.begin(), watches.end(),
                               [](const FailureWatch& w) { return w.failed; });
        },
        std::chrono::milliseconds(5000)))
        << "streams did not all fail";
    Clock::duration slowest{};
    for (const auto& w : watches) {
        EXPECT_TRUE(w.error) << "a read after the carrier died must fail";
        EXPECT_NE(w.error, boost::asio::error::eof) << "a dead carrier is not an orderly end";
        slowest = std::max(slowest, w.when - killed_at);
    }
    const auto slowest_ms = std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count();
    std::cout << "[ figures  ] streams failed " << slowest_ms << " ms after the kill ("
              << (killed_by_ss ? "ss -K" : "server restart") << ")\n";
    EXPECT_LT(slowest_ms, 1000) << "well within keepalive_timeout (45 s)";
    EXPECT_GE(client->pool().stats().carriers_lost, lost_before + 2);

    // The pool reconnects (first backoff 0.5 s ± 20%): a new connect succeeds.
    const auto reconnect_from = Clock::now();
    std::string reason;
    auto fresh = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(fresh) << reason;
    std::vector<std::uint8_t> back;
    const auto data = random_bytes(5000, 9);
    ASSERT_TRUE(echo(*fresh, data, back));
    EXPECT_TRUE(back == data);
    const auto reconnect_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - reconnect_from)
            .count();
    std::cout << "[ figures  ] new stream echoed " << reconnect_ms << " ms after the failures\n";
    EXPECT_LT(reconnect_ms, 3000) << "reconnect after the first backoff (0.5 s)";
}

TEST_F(MuxCarrierLoss, SilentServerIsDeclaredDeadAfterKeepaliveTimeout) {
    start_server();
    FreezableForwarder forwarder(io, server_port);
    auto options = client_options();
    options.port = forwarder.port();
    options.carriers = 1;
    options.carrier.keepalive_interval = std::chrono::milliseconds(500);
    options.carrier.keepalive_timeout = std::chrono::milliseconds(2000);
    auto client = make_client(options);
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(stream) << reason;
    std::vector<std::uint8_t> back;
    ASSERT_TRUE(echo(*stream, random_bytes(1000), back));
    // Quiet for longer than the timeout with the forwarder working: pings keep it alive.
    ASSERT_FALSE(run_until([&] { return client->pool().stats().carriers_lost > 0; },
                           std::chrono::milliseconds(3000)))
        << "a carrier whose server answers pings must stay up";

    FailureWatch watch;
    watch.watch(*stream);
    const auto frozen_at = Clock::now();
    forwarder.freeze();
    ASSERT_TRUE(run_until([&] { return watch.failed; }, std::chrono::milliseconds(6000)))
        << "the stream must fail once the carrier is declared dead";
    const auto detect_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(watch.when - frozen_at).count();
    std::cout << "[ figures  ] silent server detected after " << detect_ms
              << " ms (keepalive_timeout 2000 ms, interval 500 ms)\n";
    // Silence counts from the last byte received (a pong up to two ticks before the freeze);
    // the check runs every tick (500 ms here).
    EXPECT_GE(detect_ms, 900);
    EXPECT_LE(detect_ms, 3000);
    ASSERT_TRUE(run_until([&] { return client->pool().stats().carriers_lost == 1; },
                          std::chrono::milliseconds(500)));
    EXPECT_NE(client->pool().last_error().find("no data or pong"), std::string::npos)
        << client->pool().last_error();
}

}  // namespace
}  // namespace shunt::outbound::mux::test

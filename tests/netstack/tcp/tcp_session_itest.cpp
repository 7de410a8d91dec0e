// lwIP + TcpSession over a real TUN device in a namespace of the test's own: a kernel
// socket connects to an address routed into the TUN, lwIP terminates it, and the session
// relays to a real server on loopback. Checks bytes, backpressure with a large transfer,
// half-close, resets both ways, and that nothing is left behind.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "flow/flow_registry.hpp"
#include "netstack/lwip/lwip_stack.hpp"
#include "netstack/route/route_setup.hpp"
#include "netstack/tcp/tcp_session.hpp"
#include "netstack/tun/tun_device.hpp"
#include "netstack/tun/tun_pump.hpp"
#include "outbound/tcp_socket_stream.hpp"
#include "tests/support/netns_guard.hpp"

namespace shunt::netstack {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Server behaviours, chosen by the port the app connects to (through the TUN).
enum class Server { echo, reset_after_first_read, closed_port };

// A kernel TCP server on 127.0.0.1 with one behaviour.
class LoopbackServer {
  public:
    LoopbackServer(asio::io_context& io, Server behaviour)
        : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          behaviour_(behaviour) {
        accept();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  private:
    struct Connection : std::enable_shared_from_this<Connection> {
        explicit Connection(tcp::socket s) : socket(std::move(s)) {}
        tcp::socket socket;
        std::array<char, 65536> buffer{};
        Server behaviour = Server::echo;
        void read() {
            socket.async_read_some(
                asio::buffer(buffer), [self = shared_from_this()](auto ec, std::size_t n) {
                    if (ec == asio::error::eof) {
                        boost::system::error_code ignored;
                        self->socket.shutdown(tcp::socket::shutdown_send, ignored);
                        return;
                    }
                    if (ec) return;
                    if (self->behaviour == Server::reset_after_first_read) {
                        boost::system::error_code ignored;
                        self->socket.set_option(asio::socket_base::linger(true, 0), ignored);
                        self->socket.close(ignored);
                        return;
                    }
                    asio::async_write(self->socket, asio::buffer(self->buffer.data(), n),
                                      [self](auto ec2, std::size_t) {
                                          if (!ec2) self->read();
                                      });
                });
        }
    };
    void accept() {
        acceptor_.async_accept([this](auto ec, tcp::socket socket) {
            if (ec) return;
            auto c = std::make_shared<Connection>(std::move(socket));
            c->behaviour = behaviour_;
            c->read();
            accept();
        });
    }
    tcp::acceptor acceptor_;
    Server behaviour_;
};

class TcpSessionTest : public ::testing::Test {
  protected:
    void SetUp() override {
        netns_ = std::make_unique<test::NetnsGuard>("shunt-tcp");
        TunOptions options;
        options.name = "shunt-tcp0";
        options.mtu = 9000;
        options.ipv4 = InterfaceAddress::parse("198.18.0.1/15");
        tun_ = std::make_unique<TunDevice>(options);
        RoutePlan plan;
        plan.tun_name = tun_->name();
        plan.tun_ifindex = tun_->ifindex();
        plan.captured = {*Prefix::parse("198.18.0.0/15")};
        routes_ = std::make_unique<RouteSetup>(plan);
        routes_->apply();
        echo_ = std::make_unique<LoopbackServer>(io_, Server::echo);
        resetter_ = std::make_unique<LoopbackServer>(io_, Server::reset_after_first_read);
        pump_ = std::make_unique<TunPump>(
            io_.get_executor(), tun_->fd(), 9000,
            [this](std::span<const std::uint8_t> packet) { stack_->input(packet); });
        stack_ = std::make_unique<LwipStack>(
            io_.get_executor(), 9000, [this](OutgoingPacket packet) { pump_->write(packet); },
            [this](tcp_pcb* pcb) { on_accept(pcb); });
        pump_->start();
    }

    void TearDown() override {
        for (auto& [id, s] : sessions_) s->close(CloseReason::shutdown);
        sessions_.clear();
        io_.poll();
        pump_.reset();
        stack_.reset();
        routes_.reset();
        tun_.reset();
        netns_.reset();
    }

    // Port 80 -> echo, 81 -> reset after the first read, 82 -> a closed port.
    void on_accept(tcp_pcb* pcb) {
        auto session = std::make_shared<TcpSession>(io_.get_executor(), pcb, TcpSessionOptions{},
                                                    [this](TcpSession& s, CloseReason reason) {
                                                        reasons_.push_back(reason);
                                                        if (s.live_flow() != nullptr)
                                                            registry_.remove(*s.live_flow());
                                                        sessions_.erase(s.id());
                                                    });
        sessions_.emplace(session->id(), session);
        std::uint16_t port = 1;  // nothing listens there
        if (session->destination().port == 80) port = echo_->port();
        if (session->destination().port == 81) port = resetter_->port();
        auto socket = std::make_shared<tcp::socket>(io_);
        // Listed in the flow registry once connected, as TcpFlowRouter does.
        socket->async_connect(
            tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
            [this, session, socket](const boost::system::error_code& ec) {
                if (ec) return session->refuse(ec.message());
                flow::FlowRecord record;
                record.source = session->source();
                record.destination = session->destination();
                auto live = std::make_unique<flow::LiveFlow>(std::move(record));
                registry_.add(*live, *session);
                session->attach(std::make_unique<outbound::TcpSocketStream>(std::move(*socket)),
                                std::move(live));
            });
    }

    // Connects `app` to `address`:80 (the echo server) and runs until the one session
    // relays.
    void connect_until_relaying(tcp::socket& app, const char* address) {
        bool connected = false;
        app.async_connect(tcp::endpoint(asio::ip::make_address(address), 80), [&](auto ec) {
            ASSERT_FALSE(ec);
            connected = true;
        });
        run_until(
            [&] {
                return connected && !sessions_.empty() &&
                       sessions_.begin()->second->state() == TcpSessionState::relaying;
            },
            std::chrono::seconds(5));
    }

    // Runs the loop until `done` or the time limit.
    void run_until(const std::function<bool()>& done, std::chrono::seconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < deadline)
            io_.run_for(std::chrono::milliseconds(10));
    }

    asio::io_context io_;
    flow::FlowRegistry registry_;
    std::unique_ptr<test::NetnsGuard> netns_;
    std::unique_ptr<TunDevice> tun_;
    std::unique_ptr<RouteSetup> routes_;
    std::unique_ptr<LoopbackServer> echo_;
    std::unique_ptr<LoopbackServer> resetter_;
    std::unique_ptr<TunPump> pump_;
    std::unique_ptr<LwipStack> stack_;
    std::map<std::uint64_t, std::shared_ptr<TcpSession>> sessions_;
    std::vector<CloseReason> reasons_;
    int max_segment_ = 0;
};

std::vector<std::uint8_t> random_bytes(std::size_t n) {
    std::vector<std::uint8_t> bytes(n);
    std::mt19937 rng(42);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    return bytes;
}

TEST_F(TcpSessionTest, EchoesEightMegabytesIntactThenClosesCleanly) {
    const auto sent = random_bytes(8 << 20);
    std::vector<std::uint8_t> received(sent.size());
    tcp::socket app(io_);
    bool connected = false, written = false, read_all = false, eof = false;
    app.async_connect(tcp::endpoint(asio::ip::make_address("198.18.5.5"), 80), [&](auto ec) {
        ASSERT_FALSE(ec) << ec.message();
        connected = true;
        int mss = 0;
        socklen_t length = sizeof(mss);
        ::getsockopt(app.native_handle(), IPPROTO_TCP, TCP_MAXSEG, &mss, &length);
        max_segment_ = mss;
        asio::async_write(app, asio::buffer(sent), [&](auto ec2, std::size_t) {
            ASSERT_FALSE(ec2) << ec2.message();
            written = true;
            app.shutdown(tcp::socket::shutdown_send);
        });
        asio::async_read(app, asio::buffer(received), [&](auto ec2, std::size_t) {
            ASSERT_FALSE(ec2) << ec2.message();
            read_all = true;
            std::array<char, 1> one{};
            app.async_read_some(asio::buffer(one),
                                [&](auto ec3, std::size_t) { eof = ec3 == asio::error::eof; });
        });
    });
    run_until([&] { return eof; }, std::chrono::seconds(30));
    EXPECT_TRUE(connected && written && read_all);
    // lwIP's MSS follows the TUN's MTU (9000 here): min(TCP_MSS, MTU - 40).
    EXPECT_EQ(max_segment_, 8960);
    EXPECT_TRUE(eof) << "the session did not pass the server's FIN on";
    EXPECT_TRUE(received == sent) << "bytes changed in transit";
    run_until([&] { return sessions_.empty(); }, std::chrono::seconds(5));
    EXPECT_TRUE(sessions_.empty());
    ASSERT_EQ(reasons_.size(), 1u);
    EXPECT_EQ(reasons_[0], CloseReason::done);
}

// lwIP's timers (retransmission, reassembly, TIME_WAIT) run while flows exist: a
// connection that lives for seconds must survive them (lwIP asserts on bad options
// from its 1 s reassembly timer, for one).
TEST_F(TcpSessionTest, LongLivedConnectionSurvivesLwipTimers) {
    tcp::socket app(io_);
    std::array<char, 4> reply{};
    int round_trips = 0;
    std::function<void()> ping = [&] {
        asio::async_write(app, asio::buffer("ping", 4), [&](auto ec, std::size_t) {
            ASSERT_FALSE(ec) << ec.message();
            asio::async_read(app, asio::buffer(reply), [&](auto ec2, std::size_t) {
                ASSERT_FALSE(ec2) << ec2.message();
                ++round_trips;
            });
        });
    };
    app.async_connect(tcp::endpoint(asio::ip::make_address("198.18.5.9"), 80), [&](auto ec) {
        ASSERT_FALSE(ec);
        ping();
    });
    run_until([&] { return round_trips == 1; }, std::chrono::seconds(5));
    // Idle with the flow open while lwIP's cyclic timers fire several times.
    run_until([] { return false; }, std::chrono::seconds(3));
    ping();
    run_until([&] { return round_trips == 2; }, std::chrono::seconds(5));
    EXPECT_EQ(round_trips, 2);
    EXPECT_EQ(std::string(reply.data(), 4), "ping");
}

TEST_F(TcpSessionTest, ManyConcurrentConnectionsAllComplete) {
    constexpr int kConnections = 200;
    struct Client {
        tcp::socket socket;
        std::array<char, 5> reply{};
        bool ok = false;
    };
    std::vector<std::unique_ptr<Client>> clients;
    int finished = 0;
    for (int i = 0; i < kConnections; ++i) {
        clients.push_back(std::make_unique<Client>(Client{tcp::socket(io_)}));
        Client& c = *clients.back();
        const auto target =
            asio::ip::make_address_v4(0xC6120000u + 0x100u + static_cast<unsigned>(i));
        c.socket.async_connect(tcp::endpoint(target, 80), [&](auto ec) {
            if (ec) {
                ++finished;
                return;
            }
            asio::async_write(c.socket, asio::buffer("hello", 5), [&](auto, std::size_t) {});
            asio::async_read(c.socket, asio::buffer(c.reply), [&](auto ec2, std::size_t) {
                c.ok = !ec2 && std::string(c.reply.data(), 5) == "hello";
                ++finished;
                c.socket.close();
            });
        });
    }
    run_until([&] { return finished == kConnections; }, std::chrono::seconds(30));
    int ok = 0;
    for (auto& c : clients) ok += c->ok;
    EXPECT_EQ(ok, kConnections);
    run_until([&] { return sessions_.empty(); }, std::chrono::seconds(10));
    EXPECT_TRUE(sessions_.empty()) << sessions_.size() << " sessions left";
}

TEST_F(TcpSessionTest, DialFailureResetsTheAppPromptly) {
    tcp::socket app(io_);
    boost::system::error_code result;
    bool done = false;
    const auto started = std::chrono::steady_clock::now();
    app.async_connect(tcp::endpoint(asio::ip::make_address("198.18.5.6"), 82), [&](auto ec) {
        ASSERT_FALSE(ec);  // lwIP completes the handshake before the dial
        std::array<char, 1> one{};
        app.async_read_some(asio::buffer(one), [&](auto ec2, std::size_t) {
            result = ec2;
            done = true;
        });
    });
    run_until([&] { return done; }, std::chrono::seconds(10));
    EXPECT_EQ(result, asio::error::connection_reset) << result.message();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
    ASSERT_EQ(reasons_.size(), 1u);
    EXPECT_EQ(reasons_[0], CloseReason::outbound_failed);
}

TEST_F(TcpSessionTest, ServerResetMidTransferResetsTheApp) {
    tcp::socket app(io_);
    boost::system::error_code result;
    bool done = false;
    app.async_connect(tcp::endpoint(asio::ip::make_address("198.18.5.7"), 81), [&](auto ec) {
        ASSERT_FALSE(ec);
        asio::async_write(app, asio::buffer("request", 7), [](auto, std::size_t) {});
        std::array<char, 1> one{};
        app.async_read_some(asio::buffer(one), [&](auto ec2, std::size_t) {
            result = ec2;
            done = true;
        });
    });
    run_until([&] { return done; }, std::chrono::seconds(10));
    EXPECT_EQ(result, asio::error::connection_reset) << result.message();
    ASSERT_EQ(reasons_.size(), 1u);
    EXPECT_EQ(reasons_[0], CloseReason::outbound_reset);
}

TEST_F(TcpSessionTest, AppResetIsPassedToTheServer) {
    tcp::socket app(io_);
    connect_until_relaying(app, "198.18.5.8");
    ASSERT_EQ(sessions_.size(), 1u);
    app.set_option(asio::socket_base::linger(true, 0));
    app.close();  // RST
    run_until([&] { return sessions_.empty(); }, std::chrono::seconds(5));
    ASSERT_EQ(reasons_.size(), 1u);
    EXPECT_EQ(reasons_[0], CloseReason::app_reset);
}

// An owner that goes away closes its sessions and forgets them (TcpFlowRouter::close_all).
// A session that had closed just before still has its report posted: the report must see
// that nobody listens any more (it used to call the emptied handler: bad_function_call).
TEST_F(TcpSessionTest, AReportPostedBeforeTheOwnerForgotTheSessionIsDropped) {
    tcp::socket app(io_);
    connect_until_relaying(app, "198.18.5.9");
    ASSERT_EQ(sessions_.size(), 1u);
    auto session = sessions_.begin()->second;
    session->close(CloseReason::idle);  // posts the report
    session->forget_owner();            // before the loop runs it
    sessions_.clear();
    io_.poll();
    EXPECT_TRUE(reasons_.empty()) << "the forgotten owner heard of the close";
    EXPECT_EQ(session->state(), TcpSessionState::closed);
}

// The flow registry lists a relaying session with the bytes it moved each way, and
// closing it there (the REST API) resets the application's connection.
TEST_F(TcpSessionTest, RegistryListsTheFlowWithItsBytesAndClosesIt) {
    tcp::socket app(io_);
    std::array<char, 1000> reply{};
    bool echoed = false;
    boost::system::error_code after_close;
    bool ended = false;
    app.async_connect(tcp::endpoint(asio::ip::make_address("198.18.5.10"), 80), [&](auto ec) {
        ASSERT_FALSE(ec);
        static const std::string request(1000, 'r');
        asio::async_write(app, asio::buffer(request), [](auto, std::size_t) {});
        asio::async_read(app, asio::buffer(reply), [&](auto ec2, std::size_t) {
            ASSERT_FALSE(ec2) << ec2.message();
            echoed = true;
        });
    });
    run_until([&] { return echoed; }, std::chrono::seconds(5));
    ASSERT_TRUE(echoed);
    const auto listed = registry_.list();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].destination, *Endpoint::parse("198.18.5.10:80"));
    EXPECT_EQ(listed[0].upload, 1000u);
    EXPECT_EQ(listed[0].download, 1000u);

    std::array<char, 1> one{};
    app.async_read_some(asio::buffer(one), [&](auto ec, std::size_t) {
        after_close = ec;
        ended = true;
    });
    EXPECT_TRUE(registry_.close(listed[0].id));
    run_until([&] { return ended && sessions_.empty(); }, std::chrono::seconds(5));
    EXPECT_EQ(after_close, asio::error::connection_reset) << after_close.message();
    ASSERT_EQ(reasons_.size(), 1u);
    EXPECT_EQ(reasons_[0], CloseReason::killed);
    EXPECT_EQ(registry_.size(), 0u);
    EXPECT_EQ(registry_.totals().upload, 1000u);
    EXPECT_EQ(registry_.totals().download, 1000u);
}

}  // namespace
}  // namespace shunt::netstack

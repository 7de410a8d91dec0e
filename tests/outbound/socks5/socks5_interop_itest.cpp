// Socks5Outbound against real SOCKS5 servers from Debian, all on loopback: dante-server
// (CONNECT and UDP ASSOCIATE, no auth and username/password with a system user) and
// microsocks (CONNECT, no auth and username/password; it has no UDP ASSOCIATE).
#include <gtest/gtest.h>

#include <array>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>

#include "outbound/socks5/socks5_error.hpp"
#include "outbound/socks5/socks5_outbound.hpp"
#include "outbound/socks5/socks5_udp_outbound.hpp"
#include "tests/support/dante_server.hpp"
#include "tests/support/microsocks_server.hpp"

namespace shunt::outbound {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes(const std::string& text) {
    return {text.begin(), text.end()};
}

// TCP and UDP echo servers on 127.0.0.1, on the test's io_context.
class EchoServers {
  public:
    explicit EchoServers(boost::asio::io_context& io)
        : acceptor_(io, {boost::asio::ip::make_address_v4("127.0.0.1"), 0}),
          udp_(io, {boost::asio::ip::make_address_v4("127.0.0.1"), 0}) {
        do_accept();
        do_udp();
    }
    std::uint16_t tcp_port() const { return acceptor_.local_endpoint().port(); }
    std::uint16_t udp_port() const { return udp_.local_endpoint().port(); }

  private:
    struct Session {
        explicit Session(boost::asio::ip::tcp::socket s) : socket(std::move(s)) {}
        boost::asio::ip::tcp::socket socket;
        std::array<std::uint8_t, 4096> buffer{};
    };
    void do_accept() {
        acceptor_.async_accept(
            [this](boost::system::error_code error, boost::asio::ip::tcp::socket socket) {
                if (error) return;
                echo(std::make_shared<Session>(std::move(socket)));
                do_accept();
            });
    }
    static void echo(std::shared_ptr<Session> session) {
        session->socket.async_read_some(
            boost::asio::buffer(session->buffer),
            [session](boost::system::error_code error, std::size_t size) {
                if (error) return;
                boost::asio::async_write(session->socket,
                                         boost::asio::buffer(session->buffer.data(), size),
                                         [session](boost::system::error_code error, std::size_t) {
                                             if (!error) echo(session);
                                         });
            });
    }
    void do_udp() {
        udp_.async_receive_from(boost::asio::buffer(udp_buffer_), udp_peer_,
                                [this](boost::system::error_code error, std::size_t size) {
                                    if (error) return;
                                    boost::system::error_code ignored;
                                    udp_.send_to(boost::asio::buffer(udp_buffer_.data(), size),
                                                 udp_peer_, 0, ignored);
                                    do_udp();
                                });
    }

    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::ip::udp::socket udp_;
    boost::asio::ip::udp::endpoint udp_peer_;
    std::array<std::uint8_t, 65536> udp_buffer_{};
};

class Socks5InteropTest : public ::testing::Test {
  protected:
    Socks5InteropTest() : echo_(io_) {}

    Socks5Outbound outbound_for(int port, std::string username = {}, std::string password = {},
                                bool udp = false) {
        Socks5Options options;
        options.name = "interop";
        options.server = "127.0.0.1";
        options.port = static_cast<std::uint16_t>(port);
        options.username = std::move(username);
        options.password = std::move(password);
        options.udp = udp;
        options.connect_timeout = std::chrono::milliseconds(3000);
        return Socks5Outbound(io_.get_executor(), options, {});
    }

    static Target target(std::string domain, std::optional<const char*> address,
                         std::uint16_t port) {
        Target t;
        t.domain = std::move(domain);
        if (address) t.address = *IpAddress::parse(*address);
        t.port = port;
        return t;
    }

    void run_until(const std::function<bool()>& done,
                   std::chrono::milliseconds limit = std::chrono::seconds(5)) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < until) {
            io_.run_one_for(std::chrono::milliseconds(20));
        }
        io_.restart();
    }

    struct ConnectResult {
        boost::system::error_code error;
        std::unique_ptr<Stream> stream;
        std::string reason;
    };

    ConnectResult connect(Socks5Outbound& outbound, const Target& t) {
        std::optional<ConnectResult> result;
        outbound.connect(t, [&](const boost::system::error_code& error,
                                std::unique_ptr<Stream> stream, std::string reason) {
            result = ConnectResult{error, std::move(stream), std::move(reason)};
        });
        run_until([&] { return result.has_value(); });
        EXPECT_TRUE(result) << "connect never completed";
        return result ? std::move(*result) : ConnectResult{};
    }

    // Writes `message` through the stream and reads the echo back.
    std::string echo_through(Stream& stream, const std::string& message) {
        bool written = false;
        stream.async_write({boost::asio::buffer(message)},
                           [&](const boost::system::error_code& error, std::size_t) {
                               EXPECT_FALSE(error) << error.message();
                               written = true;
                           });
        run_until([&] { return written; });
        std::string echoed;
        while (echoed.size() < message.size()) {
            bool readable = false;
            stream.async_wait_readable([&](const boost::system::error_code&) { readable = true; });
            run_until([&] { return readable; });
            if (!readable) break;
            std::array<std::uint8_t, 4096> buffer{};
            boost::system::error_code error;
            const std::size_t size = stream.read_some(buffer, error);
            if (error == boost::asio::error::would_block) continue;
            if (error) break;
            echoed.append(reinterpret_cast<const char*>(buffer.data()), size);
        }
        return echoed;
    }

    void expect_echo(Socks5Outbound& outbound, const Target& t) {
        SCOPED_TRACE(t.to_string());
        auto result = connect(outbound, t);
        ASSERT_FALSE(result.error) << result.reason;
        ASSERT_TRUE(result.stream);
        const std::string message = "hello through socks5 to " + t.to_string();
        EXPECT_EQ(echo_through(*result.stream, message), message);
        result.stream->close(true);
    }

    std::uint16_t closed_port() {
        boost::asio::ip::tcp::acceptor probe(io_,
                                             {boost::asio::ip::make_address_v4("127.0.0.1"), 0});
        return probe.local_endpoint().port();
    }

    boost::asio::io_context io_;
    EchoServers echo_;
};

TEST_F(Socks5InteropTest, DanteConnectByDomainAndByAddress) {
    test::DanteServer dante({});
    auto outbound = outbound_for(dante.port());
    // "localhost" is resolved by dante (through /etc/hosts), never by us: the fake address
    // in the target must not matter.
    expect_echo(outbound, target("localhost", "198.18.0.77", echo_.tcp_port()));
    expect_echo(outbound, target("", "127.0.0.1", echo_.tcp_port()));
}

TEST_F(Socks5InteropTest, DanteReportsAClosedTargetPortByItsReplyCode) {
    test::DanteServer dante({});
    auto outbound = outbound_for(dante.port());
    const auto result = connect(outbound, target("", "127.0.0.1", closed_port()));
    EXPECT_EQ(result.error, socks5_reply_error(5));
    EXPECT_NE(result.reason.find("reply 5 (connection refused)"), std::string::npos)
        << result.reason;
}

TEST_F(Socks5InteropTest, DanteWithUsernamePassword) {
    test::TestSystemUser user;
    test::DanteServer dante({.require_password = true});
    auto good = outbound_for(dante.port(), user.name(), user.password());
    expect_echo(good, target("localhost", std::nullopt, echo_.tcp_port()));

    auto bad = outbound_for(dante.port(), user.name(), "wrong-password");
    const auto refused = connect(bad, target("localhost", std::nullopt, echo_.tcp_port()));
    EXPECT_EQ(refused.error, Socks5Errc::authentication_failed) << refused.reason;
    EXPECT_EQ(refused.reason, "socks5 interop: connect localhost:" +
                                  std::to_string(echo_.tcp_port()) + ": authentication failed");

    auto none = outbound_for(dante.port());
    const auto no_method = connect(none, target("localhost", std::nullopt, echo_.tcp_port()));
    EXPECT_EQ(no_method.error, Socks5Errc::no_acceptable_method) << no_method.reason;
}

TEST_F(Socks5InteropTest, MicrosocksConnectWithAndWithoutAuth) {
    {
        test::MicrosocksServer open_proxy({});
        auto outbound = outbound_for(open_proxy.port());
        expect_echo(outbound, target("localhost", "198.18.0.78", echo_.tcp_port()));
        expect_echo(outbound, target("", "127.0.0.1", echo_.tcp_port()));
        const auto result = connect(outbound, target("", "127.0.0.1", closed_port()));
        EXPECT_TRUE(result.error);
        EXPECT_NE(result.reason.find("(connection refused)"), std::string::npos) << result.reason;
    }
    test::MicrosocksServer with_auth({.username = "shunt", .password = "s3cret"});
    auto good = outbound_for(with_auth.port(), "shunt", "s3cret");
    expect_echo(good, target("localhost", std::nullopt, echo_.tcp_port()));
    auto bad = outbound_for(with_auth.port(), "shunt", "wrong");
    const auto refused = connect(bad, target("localhost", std::nullopt, echo_.tcp_port()));
    EXPECT_EQ(refused.error, Socks5Errc::authentication_failed) << refused.reason;
}

class UdpRecorder {
  public:
    void start(UdpOutbound& udp) {
        udp.start(
            [this](std::span<const std::uint8_t> payload, const Endpoint& from) {
                received.push_back({Bytes(payload.begin(), payload.end()), from});
            },
            [this](std::string_view reason) { errors.emplace_back(reason); });
    }
    struct Datagram {
        Bytes payload;
        Endpoint from;
    };
    std::vector<Datagram> received;
    std::vector<std::string> errors;
};

TEST_F(Socks5InteropTest, DanteUdpAssociateByAddressAndByDomainThenTeardown) {
    test::DanteServer dante({});
    auto outbound = outbound_for(dante.port(), {}, {}, true);
    const std::vector<std::pair<Target, Endpoint>> flows = {
        {target("", "127.0.0.1", echo_.udp_port()),
         Endpoint{*IpAddress::parse("127.0.0.1"), echo_.udp_port()}},
        {target("localhost", "198.18.0.79", echo_.udp_port()),
         Endpoint{*IpAddress::parse("198.18.0.79"), echo_.udp_port()}},
    };
    for (const auto& [t, as_seen] : flows) {
        SCOPED_TRACE(t.to_string());
        std::string refusal;
        auto udp = outbound.open_udp(t, as_seen, refusal);
        ASSERT_TRUE(udp) << refusal;
        UdpRecorder recorder;
        recorder.start(*udp);
        const Bytes first = bytes("first datagram " + t.to_string());
        Bytes second(1200);
        for (std::size_t i = 0; i < second.size(); ++i) second[i] = static_cast<std::uint8_t>(i);
        // Sent before the association is ready: queued, then flushed.
        EXPECT_EQ(udp->send(first, as_seen), UdpSendResult::sent);
        EXPECT_EQ(udp->send(second, as_seen), UdpSendResult::sent);
        run_until([&] { return recorder.received.size() >= 2 || !recorder.errors.empty(); });
        ASSERT_TRUE(recorder.errors.empty()) << recorder.errors.front() << "\n" << dante.log();
        ASSERT_EQ(recorder.received.size(), 2u) << dante.log();
        EXPECT_EQ(recorder.received[0].payload, first);
        EXPECT_EQ(recorder.received[0].from, as_seen);
        EXPECT_EQ(recorder.received[1].payload, second);
        EXPECT_EQ(recorder.received[1].from, as_seen);

        // Closing the outbound ends the association: dante logs the session's end.
        const auto count_ends = [&] {
            const std::string log = dante.log();
            std::size_t count = 0;
            for (auto at = log.find("udp/udpassociate ]"); at != std::string::npos;
                 at = log.find("udp/udpassociate ]", at + 1))
                ++count;
            return count;
        };
        const std::size_t ends_before = count_ends();
        udp->close();
        udp.reset();
        run_until([&] { return count_ends() > ends_before; }, std::chrono::seconds(3));
        EXPECT_EQ(count_ends(), ends_before + 1) << dante.log();
        EXPECT_TRUE(recorder.errors.empty());
    }
}

TEST_F(Socks5InteropTest, DanteGoingAwayEndsTheUdpSession) {
    auto dante = std::make_unique<test::DanteServer>(test::DanteServer::Options{});
    auto outbound = outbound_for(dante->port(), {}, {}, true);
    const Endpoint as_seen{*IpAddress::parse("127.0.0.1"), echo_.udp_port()};
    std::string refusal;
    auto udp = outbound.open_udp(target("", "127.0.0.1", echo_.udp_port()), as_seen, refusal);
    ASSERT_TRUE(udp) << refusal;
    UdpRecorder recorder;
    recorder.start(*udp);
    EXPECT_EQ(udp->send(bytes("ping"), as_seen), UdpSendResult::sent);
    run_until([&] { return !recorder.received.empty(); });
    ASSERT_EQ(recorder.received.size(), 1u);
    dante.reset();
    run_until([&] { return !recorder.errors.empty(); }, std::chrono::seconds(3));
    ASSERT_EQ(recorder.errors.size(), 1u);
    EXPECT_NE(recorder.errors[0].find("control connection"), std::string::npos)
        << recorder.errors[0];
}

TEST_F(Socks5InteropTest, MicrosocksHasNoUdpAssociate) {
    test::MicrosocksServer microsocks({});
    auto outbound = outbound_for(microsocks.port(), {}, {}, true);
    const Endpoint as_seen{*IpAddress::parse("127.0.0.1"), echo_.udp_port()};
    std::string refusal;
    auto udp = outbound.open_udp(target("", "127.0.0.1", echo_.udp_port()), as_seen, refusal);
    ASSERT_TRUE(udp) << refusal;
    UdpRecorder recorder;
    recorder.start(*udp);
    run_until([&] { return !recorder.errors.empty(); });
    ASSERT_EQ(recorder.errors.size(), 1u);
    // microsocks 1.0.3 answers UDP ASSOCIATE with reply 7; the session ends with that reason.
    EXPECT_EQ(recorder.errors[0],
              "socks5 interop: udp associate 127.0.0.1:" + std::to_string(echo_.udp_port()) +
                  ": reply 7 (command not supported)");
}

}  // namespace
}  // namespace shunt::outbound

// TlsChannel between a client and a server on loopback: the handshake with the client
// verifying the server (TestCa), 32 MB each way intact, exact reads, and the peer's close.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <random>

#include "outbound/mux/session/tls_channel.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::outbound::mux {
namespace {

using boost::asio::ip::tcp;

class TlsChannelItest : public ::testing::Test {
  protected:
    TlsChannelItest()
        : certificate(ca.issue("tls.test", "127.0.0.1")),
          client_context(boost::asio::ssl::context::tls_client),
          server_context(boost::asio::ssl::context::tls_server) {
        client_context.load_verify_file(ca.ca_file());
        client_context.set_verify_mode(boost::asio::ssl::verify_peer);
        server_context.use_certificate_chain_file(certificate.cert_file);
        server_context.use_private_key_file(certificate.key_file, boost::asio::ssl::context::pem);
        SSL_CTX_set_min_proto_version(server_context.native_handle(), TLS1_3_VERSION);
        tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        tcp::socket client_socket(io);
        client_socket.connect(acceptor.local_endpoint());
        tcp::socket server_socket = acceptor.accept();
        client = std::make_shared<TlsChannel>(
            std::move(client_socket), client_context.native_handle(), TlsChannel::Role::client);
        SSL_set1_host(client->native_handle(), "tls.test");
        server = std::make_shared<TlsChannel>(
            std::move(server_socket), server_context.native_handle(), TlsChannel::Role::server);
    }

    bool handshake() {
        int done = 0;
        boost::system::error_code client_error, server_error;
        client->async_handshake([&](const boost::system::error_code& ec) {
            client_error = ec;
            ++done;
        });
        server->async_handshake([&](const boost::system::error_code& ec) {
            server_error = ec;
            ++done;
        });
        run_until([&] { return done == 2; });
        EXPECT_FALSE(client_error) << client_error.message();
        EXPECT_FALSE(server_error) << server_error.message();
        return done == 2 && !client_error && !server_error;
    }

    void run_until(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io.restart();
            io.run_for(std::chrono::milliseconds(5));
        }
    }

    // Writes `data` from `from` in 1 MB writes while `to` reads it all.
    std::vector<std::uint8_t> transfer(TlsChannel& from, TlsChannel& to,
                                       const std::vector<std::uint8_t>& data) {
        std::vector<std::uint8_t> received;
        std::vector<std::uint8_t> buffer(300 * 1024);
        std::size_t written = 0;
        bool failed = false;
        std::function<void()> write_next = [&] {
            if (written == data.size()) return;
            const std::size_t n = std::min<std::size_t>(1 << 20, data.size() - written);
            from.async_write({data.data() + written, n},
                             [&, n](const boost::system::error_code& ec, std::size_t taken) {
                                 EXPECT_EQ(taken, n);
                                 if (ec) failed = true;
                                 written += n;
                                 write_next();
                             });
        };
        std::function<void()> read_next = [&] {
            to.async_read_some(buffer, [&](const boost::system::error_code& ec, std::size_t n) {
                if (ec) {
                    failed = true;
                    return;
                }
                received.insert(received.end(), buffer.begin(), buffer.begin() + n);
                if (received.size() < data.size()) read_next();
            });
        };
        write_next();
        read_next();
        run_until([&] { return failed || received.size() >= data.size(); });
        EXPECT_FALSE(failed);
        return received;
    }

    boost::asio::io_context io;
    shunt::test::TestCa ca;
    shunt::test::TestCertificate certificate;
    boost::asio::ssl::context client_context;
    boost::asio::ssl::context server_context;
    std::shared_ptr<TlsChannel> client;
    std::shared_ptr<TlsChannel> server;
};

std::vector<std::uint8_t> random_data(std::size_t n, unsigned seed) {
    std::vector<std::uint8_t> data(n);
    std::mt19937 random(seed);
    for (auto& byte : data) byte = static_cast<std::uint8_t>(random());
    return data;
}

TEST_F(TlsChannelItest, ThirtyTwoMegabytesEachWayIntact) {
    ASSERT_TRUE(handshake());
    EXPECT_EQ(SSL_version(client->native_handle()), TLS1_3_VERSION);
    const auto up = random_data(32u << 20, 1);
    EXPECT_TRUE(transfer(*client, *server, up) == up);
    const auto down = random_data(32u << 20, 2);
    EXPECT_TRUE(transfer(*server, *client, down) == down);
}

TEST_F(TlsChannelItest, ReadExactlyStopsAtTheCount) {
    ASSERT_TRUE(handshake());
    const auto data = random_data(1000, 3);
    bool written = false;
    client->async_write(data,
                        [&](const boost::system::error_code&, std::size_t) { written = true; });
    std::vector<std::uint8_t> first(35), rest(965);
    std::size_t got = 0;
    server->async_read_exactly(first, [&](const boost::system::error_code& ec, std::size_t n) {
        EXPECT_FALSE(ec);
        got = n;
    });
    run_until([&] { return got == 35; });
    ASSERT_EQ(got, 35U);
    server->async_read_exactly(rest,
                               [&](const boost::system::error_code&, std::size_t n) { got += n; });
    run_until([&] { return got == 1000; });
    first.insert(first.end(), rest.begin(), rest.end());
    EXPECT_TRUE(first == data);
}

TEST_F(TlsChannelItest, CloseNotifyReadsAsEndOfFile) {
    ASSERT_TRUE(handshake());
    client->shutdown_and_close();
    std::vector<std::uint8_t> buffer(100);
    boost::system::error_code error;
    bool done = false;
    server->async_read_some(buffer, [&](const boost::system::error_code& ec, std::size_t) {
        error = ec;
        done = true;
    });
    run_until([&] { return done; });
    EXPECT_EQ(error, boost::asio::error::eof) << error.message();
}

TEST_F(TlsChannelItest, UntrustedServerFailsTheHandshake) {
    SSL_set1_host(client->native_handle(), "other.test");  // the certificate names tls.test
    int done = 0;
    boost::system::error_code client_error;
    client->async_handshake([&](const boost::system::error_code& ec) {
        client_error = ec;
        ++done;
    });
    server->async_handshake([&](const boost::system::error_code&) { ++done; });
    run_until([&] { return done == 2; });
    EXPECT_TRUE(client_error);
    EXPECT_NE(SSL_get_verify_result(client->native_handle()), X509_V_OK);
}

}  // namespace
}  // namespace shunt::outbound::mux

// The control API's HTTP server against real clients on loopback: curl for requests as
// dashboards and scripts send them (auth, Host, CORS preflight, unknown paths, methods,
// an oversized body), raw sockets for what curl will not do (a byte-a-second client, more
// connections than the cap). The server runs on its own thread's io_context.
#include "api/api_server.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "api/version_endpoints.hpp"
#include "tests/support/api_server_fixture.hpp"
#include "tests/support/child_process.hpp"

namespace shunt::api {
namespace {

using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;

// /, /version and nothing else: what the server itself does is under test.
class ApiServerTest : public test::ApiServerFixture {
  protected:
    void start(ApiLimits limits = {}, const std::string& unix_path = "") {
        ApiServerFixture::start(
            limits, [](ApiRouter& router) { add_version_endpoints(router); }, unix_path);
    }
};

TEST_F(ApiServerTest, AnswersAsMihomoDoesWithTheSecretAndRefusesWithoutIt) {
    start();
    const std::string bearer = "Authorization: Bearer s3cret";
    struct Row {
        std::vector<std::string> args;
        std::string expected;  // body, then the status
    };
    const std::vector<Row> rows = {
        {{"-H", bearer, url("/version")}, "{\"version\":\"shunt 0.1.0\",\"meta\":true}\n200"},
        {{"-H", bearer, url("/")}, "{\"hello\":\"clash\"}\n200"},
        {{url("/version")}, "{\"message\":\"Unauthorized\"}\n401"},
        {{"-H", "Authorization: Bearer wrong", url("/version")},
         "{\"message\":\"Unauthorized\"}\n401"},
        {{url("/version?token=s3cret")}, "{\"message\":\"Unauthorized\"}\n401"},
        {{"-H", bearer, url("/nowhere")}, "{\"message\":\"Resource not found\"}\n404"},
        {{"-H", bearer, "-X", "POST", url("/version")},
         "{\"message\":\"Method not allowed\"}\n405"},
        {{"-H", bearer, "-H", "Host: attacker.example", url("/version")},
         "{\"message\":\"Forbidden\"}\n403"},
        {{"-H", bearer, url("/proxies/%zz")}, "{\"message\":\"Invalid request target\"}\n400"},
    };
    for (const auto& row : rows) {
        const auto result = curl(row.args);
        EXPECT_EQ(result.exit_code, 0);
        EXPECT_EQ(result.out, row.expected) << row.args.back();
    }
}

TEST_F(ApiServerTest, APreflightFromAnyOriginIsAnsweredWithPrivateNetworkAccess) {
    start();
    const auto result = test::run_command(
        {"curl", "-s", "-m", "10", "-i", "-X", "OPTIONS", "-H", "Origin: https://dash.example",
         "-H", "Access-Control-Request-Method: PATCH", "-H",
         "Access-Control-Request-Private-Network: true", url("/configs")});
    EXPECT_NE(result.out.find("HTTP/1.1 204"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("Access-Control-Allow-Origin: https://dash.example"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("Access-Control-Allow-Private-Network: true"), std::string::npos)
        << result.out;
}

TEST_F(ApiServerTest, ABodyOverTheCapIs413) {
    start();
    test::TempDir dir;
    std::ofstream(dir.file("big")) << std::string(2 * 1024 * 1024, 'x');
    const auto result = curl({"-H", "Authorization: Bearer s3cret", "-X", "PATCH", "--data-binary",
                              "@" + dir.file("big"), url("/configs")});
    EXPECT_EQ(result.out, "{\"message\":\"Request body too large\"}\n413");
    // Chunked: the size is not known up front, the server finds out while the client is
    // still sending, and the answer must still arrive whole.
    const auto chunked =
        curl({"-H", "Authorization: Bearer s3cret", "-H", "Transfer-Encoding: chunked", "-H",
              "Expect:", "-X", "PATCH", "--data-binary", "@" + dir.file("big"), url("/configs")});
    EXPECT_EQ(chunked.out, "{\"message\":\"Request body too large\"}\n413");
}

// A client that sends its request a byte at a time never gets to hold the connection past
// the header deadline (here 1 s; 10 s by default).
TEST_F(ApiServerTest, AByteASecondClientIsCutOffAtTheHeaderDeadline) {
    ApiLimits limits;
    limits.header_timeout = 1s;
    start(limits);
    boost::asio::io_context client_io;
    tcp::socket socket(client_io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    const std::string request =
        "GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer s3cret\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    const auto started = std::chrono::steady_clock::now();
    boost::system::error_code ec;
    for (char c : request) {
        boost::asio::write(socket, boost::asio::buffer(&c, 1), ec);
        if (ec) break;
        std::this_thread::sleep_for(100ms);
        if (std::chrono::steady_clock::now() - started > 5s) break;
    }
    // Whatever was written, the server has closed: a read sees the end, not an answer.
    std::array<char, 256> reply{};
    const std::size_t n = socket.read_some(boost::asio::buffer(reply), ec);
    EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset)
        << ec.message() << " after " << std::string(reply.data(), n);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(ApiServerTest, ConnectionsBeyondTheCapAreClosedAndNoneOutliveTheirClients) {
    ApiLimits limits;
    limits.max_connections = 5;
    start(limits);
    boost::asio::io_context client_io;
    std::vector<tcp::socket> sockets;
    for (int i = 0; i < 12; ++i) {
        sockets.emplace_back(client_io);
        sockets.back().connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    }
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (connections() != 5 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(connections(), 5u);
    // The refused ones were closed by the server.
    int closed = 0;
    for (auto& socket : sockets) {
        socket.non_blocking(true);
        std::array<char, 1> one{};
        boost::system::error_code ec;
        std::this_thread::sleep_for(1ms);
        socket.read_some(boost::asio::buffer(one), ec);
        if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) ++closed;
    }
    EXPECT_EQ(closed, 7);
    // The API still answers once a slot is free.
    sockets.clear();
    const auto freed = std::chrono::steady_clock::now() + 5s;
    while (connections() != 0 && std::chrono::steady_clock::now() < freed)
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(connections(), 0u);
    EXPECT_EQ(curl({"-H", "Authorization: Bearer s3cret", url("/")}).out,
              "{\"hello\":\"clash\"}\n200");
}

// The descriptors this process has open.
int open_fds() {
    int n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

TEST_F(ApiServerTest, TwoThousandIdleConnectionsHoldNoMoreThanTheCapAndLeaveNothingBehind) {
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_cur < 4500) {
        limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 8192);
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
    }
    start();  // the default cap: 64
    boost::asio::io_context client_io;
    std::vector<tcp::socket> sockets;
    sockets.reserve(2000);
    // The client side's reactor is made with its first socket: before the baseline.
    tcp::socket warm_up(client_io);
    warm_up.open(tcp::v4());
    const int baseline = open_fds();
    for (int i = 0; i < 2000; ++i) {
        sockets.emplace_back(client_io);
        sockets.back().connect({boost::asio::ip::make_address("127.0.0.1"), port_});
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    // Each refused connection is closed at once: the server holds the cap's worth.
    while (open_fds() - baseline - 2000 > 64 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(connections(), 64u);
    EXPECT_LE(open_fds() - baseline - 2000, 64);
    sockets.clear();
    const auto freed = std::chrono::steady_clock::now() + 10s;
    while ((connections() != 0 || open_fds() > baseline) &&
           std::chrono::steady_clock::now() < freed)
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(connections(), 0u);
    EXPECT_EQ(open_fds(), baseline) << "descriptors back to where they were";
}

TEST_F(ApiServerTest, TheUnixSocketIsMode0660NeedsNoSecretAndGoesAwayWithTheServer) {
    test::TempDir dir;
    const std::string path = dir.file("api.sock");
    // A socket file left by a crashed run is replaced.
    {
        boost::asio::io_context io;
        boost::asio::local::stream_protocol::acceptor stale(
            io, boost::asio::local::stream_protocol::endpoint(path));
    }
    ASSERT_TRUE(std::filesystem::exists(path));
    start({}, path);
    const auto mode = std::filesystem::status(path).permissions();
    EXPECT_EQ(mode, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                        std::filesystem::perms::group_read | std::filesystem::perms::group_write);
    const auto result = test::run_command({"curl", "-s", "-m", "10", "--unix-socket", path, "-w",
                                           "\n%{http_code}", "http://localhost/version"});
    EXPECT_EQ(result.out, "{\"version\":\"shunt 0.1.0\",\"meta\":true}\n200");
    // The same request over TCP needs the secret.
    EXPECT_EQ(curl({url("/version")}).out, "{\"message\":\"Unauthorized\"}\n401");
    TearDown();
    EXPECT_FALSE(std::filesystem::exists(path)) << "removed at stop";
}

TEST(ApiServerUnix, AFileThatIsNotASocketIsNeverReplaced) {
    test::TempDir dir;
    dir.write("api.sock", "precious");
    boost::asio::io_context io;
    ApiServerOptions options;
    options.unix_path = dir.file("api.sock");
    ApiServer server(io.get_executor(), options, ApiRouter{});
    EXPECT_THROW(server.start(), std::runtime_error);
    EXPECT_EQ(test::read_file(dir.file("api.sock")), "precious");
}

}  // namespace
}  // namespace shunt::api

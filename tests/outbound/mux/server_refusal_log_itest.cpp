// A mux server on a public port meets scanners: every connection that fails the TLS
// handshake or AUTH is refused, but the log gets one line per second, and the next line
// says how many refusals it stands for (base/log_rate_limit.hpp).
#include <gtest/gtest.h>

#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

using MuxServerRefusals = MuxFixture;

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

TEST_F(MuxServerRefusals, AFloodOfRefusedConnectionsLogsALinePerSecondWithTheCount) {
    start_server();
    std::ostringstream captured;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
    auto logger = spdlog::default_logger();
    logger->sinks().push_back(sink);
    struct RemoveSink {
        std::shared_ptr<spdlog::logger> logger;
        ~RemoveSink() { logger->sinks().pop_back(); }
    } remove{logger};

    // 30 connections that close without a TLS handshake, as a port scanner's do.
    auto knock = [&](int n) {
        for (int i = 0; i < n; ++i) {
            boost::asio::ip::tcp::socket socket(io);
            socket.connect({boost::asio::ip::make_address("127.0.0.1"), server_port});
            socket.close();
        }
    };
    knock(30);
    ASSERT_TRUE(run_until([&] { return server->stats().auth_failed == 30; }))
        << server->stats().auth_failed << " refused";
    const std::size_t lines = count(captured.str(), "refused:");
    EXPECT_GE(lines, 1U);
    EXPECT_LE(lines, 2U) << "a line per second, not per connection:\n" << captured.str();

    // A second later, the next refusal's line carries the count of those not logged.
    run_until([] { return false; }, std::chrono::milliseconds(1100));
    knock(1);
    ASSERT_TRUE(run_until([&] { return server->stats().auth_failed == 31; }));
    EXPECT_NE(captured.str().find("more refused since the last line)"), std::string::npos)
        << captured.str();
}

}  // namespace
}  // namespace shunt::outbound::mux::test

// tcp:// against a real unbound: answers, one reused connection for pipelined
// queries whose client ids collide, refused and silent servers.
#include <boost/asio/ip/tcp.hpp>

#include "dns/upstream/upstream_error.hpp"
#include "tests/dns/upstream/upstream_test_support.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

using TcpUpstreamTest = UpstreamTest;

TEST_F(TcpUpstreamTest, AnswersFromTheLocalZone) {
    auto upstream = make(peers.tcp_url());
    auto outcome = run_query(io, *upstream, make_query(0xABCD, "www.test", kTypeAaaa));
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    auto answer = read_answer(outcome.response);
    EXPECT_EQ(answer.id, 0xABCD);
    EXPECT_EQ(answer.records, std::vector<std::string>{"2001:db8::1"});
    upstream->close();
}

TEST_F(TcpUpstreamTest, PipelinesCollidingIdsOverOneConnection) {
    auto upstream = make(peers.tcp_url());
    // Every client picked id 7: the upstream must still tell the answers apart.
    std::vector<std::vector<std::uint8_t>> queries;
    const std::vector<std::pair<std::string, std::uint16_t>> questions = {{"www.test", kTypeA},
                                                                          {"www.test", kTypeAaaa},
                                                                          {"dns.test", kTypeA},
                                                                          {"big.test", kTypeTxt},
                                                                          {"nothing.test", kTypeA}};
    for (int round = 0; round < 4; ++round)
        for (const auto& [name, type] : questions) queries.push_back(make_query(7, name, type));
    auto outcomes = run_queries(io, *upstream, queries);
    for (std::size_t i = 0; i < queries.size(); ++i) {
        const auto& [name, type] = questions[i % questions.size()];
        ASSERT_FALSE(outcomes[i].ec) << i << ": " << outcomes[i].ec.message();
        EXPECT_EQ(outcomes[i].calls, 1);
        auto answer = read_answer(outcomes[i].response);
        EXPECT_EQ(answer.id, 7);
        EXPECT_EQ(answer.question, name + ".");
        EXPECT_EQ(answer.qtype, type);
    }
    EXPECT_EQ(established_connections_to(peers.unbound.port()), 1);
    // Consecutive queries reuse it too.
    auto again = run_query(io, *upstream, make_query(8, "www.test", kTypeA));
    ASSERT_FALSE(again.ec) << again.ec.message();
    EXPECT_EQ(established_connections_to(peers.unbound.port()), 1);
    upstream->close();
}

TEST_F(TcpUpstreamTest, RefusedConnectionFailsAtOnce) {
    auto upstream = make("tcp://127.0.0.1:" + std::to_string(free_port()), "", {}, 2000ms);
    auto outcomes = run_queries(
        io, *upstream, {make_query(1, "www.test", kTypeA), make_query(2, "www.test", kTypeA)});
    for (const auto& outcome : outcomes) {
        EXPECT_EQ(outcome.ec, boost::asio::error::connection_refused) << outcome.ec.message();
        EXPECT_LT(outcome.elapsed, 1000ms);
        EXPECT_EQ(outcome.calls, 1);
    }
}

TEST_F(TcpUpstreamTest, SilentServerTimesOutOnTime) {
    // Listening but never reading: the kernel completes the handshake, no answer comes.
    boost::asio::ip::tcp::acceptor silent(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto upstream =
        make("tcp://127.0.0.1:" + std::to_string(silent.local_endpoint().port()), "", {}, 300ms);
    auto outcome = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, dns::UpstreamErrc::timed_out) << outcome.ec.message();
    EXPECT_GE(outcome.elapsed, 300ms);
    EXPECT_LT(outcome.elapsed, 600ms);
    EXPECT_EQ(outcome.calls, 1);
}

TEST_F(TcpUpstreamTest, ServerClosingTheConnectionFailsTheQuery) {
    // Accepts, reads the query, closes: the query is retried once on a new
    // connection, then fails with a clear error long before the timeout.
    using boost::asio::ip::tcp;
    tcp::acceptor closer(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    int accepted = 0;
    std::function<void()> accept_one = [&] {
        closer.async_accept([&](boost::system::error_code ec, tcp::socket socket) {
            if (ec) return;
            ++accepted;
            auto peer = std::make_shared<tcp::socket>(std::move(socket));
            auto buffer = std::make_shared<std::array<std::uint8_t, 512>>();
            peer->async_read_some(
                boost::asio::buffer(*buffer),
                [peer, buffer](boost::system::error_code, std::size_t) { peer->close(); });
            accept_one();
        });
    };
    accept_one();
    auto upstream = make("tcp://127.0.0.1:" + std::to_string(closer.local_endpoint().port()));
    auto outcome = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, dns::UpstreamErrc::connection_closed) << outcome.ec.message();
    EXPECT_LT(outcome.elapsed, 1000ms);
    EXPECT_EQ(accepted, 2);
}

}  // namespace
}  // namespace shunt::test

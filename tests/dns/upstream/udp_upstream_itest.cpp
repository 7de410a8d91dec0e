// udp:// against a real unbound: answers, TC → TCP retry, timeouts, refusals, and
// datagrams that do not answer the query.
#include <boost/asio/ip/udp.hpp>

#include "dns/upstream/upstream_error.hpp"
#include "tests/dns/upstream/upstream_test_support.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

using UdpUpstreamTest = UpstreamTest;

TEST_F(UdpUpstreamTest, AnswersFromTheLocalZoneWithTheClientsId) {
    auto upstream = make(peers.udp_url());
    auto outcome = run_query(io, *upstream, make_query(0x4321, "www.test", kTypeA));
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    EXPECT_EQ(outcome.calls, 1);
    auto answer = read_answer(outcome.response);
    EXPECT_EQ(answer.id, 0x4321);
    EXPECT_EQ(answer.rcode, LDNS_RCODE_NOERROR);
    EXPECT_EQ(answer.question, "www.test.");
    EXPECT_EQ(answer.records, std::vector<std::string>{"192.0.2.1"});
}

TEST_F(UdpUpstreamTest, PassesNonAddressAnswersThrough) {
    auto upstream = make(peers.udp_url());
    auto outcome = run_query(io, *upstream, make_query(9, "nothing.test", kTypeA));
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    EXPECT_EQ(read_answer(outcome.response).rcode, LDNS_RCODE_NXDOMAIN);
    outcome = run_query(io, *upstream, make_query(10, "example.com", kTypeA));
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    EXPECT_EQ(read_answer(outcome.response).rcode, LDNS_RCODE_REFUSED);
}

TEST_F(UdpUpstreamTest, TruncatedAnswerIsRetriedOverTcp) {
    auto upstream = make(peers.udp_url());
    auto query = make_query(0x0777, "big.test", kTypeTxt);
    // The peer really truncates this answer over UDP: dig shows it without retrying.
    auto dig = run_command({"dig", "@127.0.0.1", "-p", std::to_string(peers.unbound.port()),
                            "big.test", "TXT", "+noedns", "+ignore", "+tries=1"});
    ASSERT_NE(dig.out.find(" tc "), std::string::npos) << dig.out;

    auto outcome = run_query(io, *upstream, query);
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    auto answer = read_answer(outcome.response);
    EXPECT_FALSE(answer.truncated);
    EXPECT_EQ(answer.id, 0x0777);
    EXPECT_EQ(answer.records.size(), kBigTxtRecords);
    EXPECT_GT(outcome.response.size(), 512u);
}

TEST_F(UdpUpstreamTest, SilentServerTimesOutOnTime) {
    // Bound but never read: the datagram is accepted and nothing ever comes back.
    boost::asio::ip::udp::socket black_hole(
        io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto port = black_hole.local_endpoint().port();
    auto upstream = make("udp://127.0.0.1:" + std::to_string(port), "", {}, 300ms);
    auto outcome = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, dns::UpstreamErrc::timed_out) << outcome.ec.message();
    EXPECT_EQ(outcome.calls, 1);
    EXPECT_GE(outcome.elapsed, 300ms);
    EXPECT_LT(outcome.elapsed, 600ms);
    EXPECT_TRUE(outcome.response.empty());
}

TEST_F(UdpUpstreamTest, ClosedPortIsRefusedAtOnce) {
    auto upstream = make("udp://127.0.0.1:" + std::to_string(free_port()), "", {}, 2000ms);
    auto outcome = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, boost::asio::error::connection_refused) << outcome.ec.message();
    EXPECT_LT(outcome.elapsed, 1000ms);
}

TEST_F(UdpUpstreamTest, IgnoresDatagramsThatDoNotAnswerTheQuery) {
    // A server that first sends a reply with another id, then one for another
    // question, and only then the right answer.
    using boost::asio::ip::udp;
    udp::socket server(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    std::vector<std::uint8_t> buffer(512);
    udp::endpoint client;
    std::vector<std::vector<std::uint8_t>> replies;
    server.async_receive_from(
        boost::asio::buffer(buffer), client, [&](boost::system::error_code ec, std::size_t n) {
            ASSERT_FALSE(ec);
            std::vector<std::uint8_t> query(buffer.begin(), buffer.begin() + n);
            auto wrong_id = query;
            dns::message::set_id(wrong_id, dns::message::id(query) + 1);
            auto wrong_question = make_query(dns::message::id(query), "evil.test", kTypeA);
            replies = {wrong_id, wrong_question, query};
            for (auto& reply : replies) {
                reply[2] |= 0x80;
                server.send_to(boost::asio::buffer(reply), client);
            }
        });
    auto upstream = make("udp://127.0.0.1:" + std::to_string(server.local_endpoint().port()));
    auto query = make_query(0x5555, "www.test", kTypeA);
    auto outcome = run_query(io, *upstream, query);
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    EXPECT_EQ(outcome.calls, 1);
    EXPECT_EQ(outcome.response, replies.back());
}

TEST_F(UdpUpstreamTest, CloseAbortsQueriesInFlightAndRefusesNewOnes) {
    boost::asio::ip::udp::socket black_hole(
        io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto upstream = make("udp://127.0.0.1:" + std::to_string(black_hole.local_endpoint().port()),
                         "", {}, 2000ms);
    std::vector<boost::system::error_code> results;
    upstream->query(
        make_query(1, "www.test", kTypeA),
        [&](boost::system::error_code ec, std::vector<std::uint8_t>) { results.push_back(ec); });
    io.poll();
    upstream->close();
    upstream->query(
        make_query(2, "www.test", kTypeA),
        [&](boost::system::error_code ec, std::vector<std::uint8_t>) { results.push_back(ec); });
    io.run_for(100ms);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0], boost::asio::error::operation_aborted);
    EXPECT_EQ(results[1], boost::asio::error::operation_aborted);
}

TEST_F(UdpUpstreamTest, MalformedQueryIsRejected) {
    auto upstream = make(peers.udp_url());
    auto outcome = run_query(io, *upstream, std::vector<std::uint8_t>(5, 0));
    EXPECT_EQ(outcome.ec, dns::UpstreamErrc::malformed_query);
    EXPECT_EQ(outcome.calls, 1);
}

}  // namespace
}  // namespace shunt::test

// https:// (DNS over HTTPS, HTTP/1.1) against a real dnsdist in front of unbound.
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "dns/upstream/upstream_error.hpp"
#include "tests/dns/upstream/upstream_test_support.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

class DohUpstreamTest : public UpstreamTest {
  protected:
    std::string port() const { return std::to_string(peers.dnsdist.doh_port()); }
};

TEST_F(DohUpstreamTest, AnswersOverHttp11WithTheClientsId) {
    auto upstream = make("https://dns.test@127.0.0.1:" + port() + "/dns-query", peers.ca.ca_file());
    auto outcome = run_query(io, *upstream, make_query(0x2222, "www.test", kTypeA));
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    EXPECT_EQ(outcome.calls, 1);
    auto answer = read_answer(outcome.response);
    EXPECT_EQ(answer.id, 0x2222);
    EXPECT_EQ(answer.question, "www.test.");
    EXPECT_EQ(answer.records, std::vector<std::string>{"192.0.2.1"});
    upstream->close();
}

TEST_F(DohUpstreamTest, ConsecutiveQueriesReuseTheConnection) {
    auto upstream = make("https://127.0.0.1:" + port() + "/dns-query", peers.ca.ca_file());
    for (std::uint16_t id = 1; id <= 3; ++id) {
        auto outcome = run_query(io, *upstream, make_query(id, "www.test", kTypeAaaa));
        ASSERT_FALSE(outcome.ec) << outcome.ec.message();
        EXPECT_EQ(read_answer(outcome.response).id, id);
        EXPECT_EQ(read_answer(outcome.response).records, std::vector<std::string>{"2001:db8::1"});
    }
    EXPECT_EQ(established_connections_to(peers.dnsdist.doh_port()), 1);
    upstream->close();
}

TEST_F(DohUpstreamTest, ConnectionClosedByTheServerWhileIdleIsReplaced) {
    DnsdistServer restarted(
        {.backend_port = peers.unbound.port(), .certificate = peers.certificate});
    auto doh_port = restarted.doh_port();
    auto upstream =
        make("https://127.0.0.1:" + std::to_string(doh_port) + "/dns-query", peers.ca.ca_file());
    auto dot = make("tls://127.0.0.1:" + std::to_string(restarted.dot_port()), peers.ca.ca_file());
    auto first = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    ASSERT_FALSE(first.ec) << first.ec.message();
    ASSERT_EQ(established_connections_to(doh_port), 1);
    ASSERT_FALSE(run_query(io, *dot, make_query(1, "www.test", kTypeA)).ec);
    // The kept-alive connection now ends in a FIN. The upstream does not read while
    // idle, so its next request runs into the closed connection and must retry.
    restarted.restart();
    auto second = run_query(io, *upstream, make_query(2, "www.test", kTypeA));
    ASSERT_FALSE(second.ec) << second.ec.message();
    EXPECT_EQ(read_answer(second.response).records, std::vector<std::string>{"192.0.2.1"});
    EXPECT_EQ(established_connections_to(doh_port), 1);
    upstream->close();
    // DoT reads all the time, so it noticed the FIN and simply connects again.
    auto again = run_query(io, *dot, make_query(3, "www.test", kTypeA));
    ASSERT_FALSE(again.ec) << again.ec.message();
    EXPECT_EQ(read_answer(again.response).records, std::vector<std::string>{"192.0.2.1"});
    dot->close();
}

TEST_F(DohUpstreamTest, ConcurrentQueriesAreAllAnswered) {
    auto upstream = make("https://dns.test@127.0.0.1:" + port() + "/dns-query", peers.ca.ca_file());
    std::vector<std::vector<std::uint8_t>> queries;
    for (int i = 0; i < 20; ++i)
        queries.push_back(
            make_query(42, i % 2 ? "www.test" : "big.test", i % 2 ? kTypeA : kTypeTxt));
    auto outcomes = run_queries(io, *upstream, queries);
    for (std::size_t i = 0; i < queries.size(); ++i) {
        ASSERT_FALSE(outcomes[i].ec) << i << ": " << outcomes[i].ec.message();
        EXPECT_EQ(outcomes[i].calls, 1);
        auto answer = read_answer(outcomes[i].response);
        EXPECT_EQ(answer.id, 42);
        EXPECT_EQ(answer.records.size(), i % 2 ? 1u : kBigTxtRecords);
    }
    auto connections = established_connections_to(peers.dnsdist.doh_port());
    EXPECT_GE(connections, 1);
    EXPECT_LE(connections, 4);
    upstream->close();
}

TEST_F(DohUpstreamTest, WrongPathIsAnHttpStatusError) {
    auto upstream = make("https://dns.test@127.0.0.1:" + port() + "/nowhere", peers.ca.ca_file());
    auto outcome = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    ASSERT_EQ(outcome.ec.category(), dns::http_status_category()) << outcome.ec.message();
    EXPECT_NE(outcome.ec.value(), 200);
    EXPECT_EQ(outcome.ec.message(), "HTTP status " + std::to_string(outcome.ec.value()));
}

TEST_F(DohUpstreamTest, WrongContentTypeIsAnError) {
    auto upstream =
        make("https://dns.test@127.0.0.1:" + port() + "/text-answer", peers.ca.ca_file());
    auto outcome = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, dns::UpstreamErrc::bad_content_type) << outcome.ec.message();
    EXPECT_TRUE(outcome.response.empty());
}

TEST_F(DohUpstreamTest, SilentServerTimesOutOnTime) {
    // Accepts TCP (in the kernel) but never speaks TLS.
    boost::asio::ip::tcp::acceptor silent(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto upstream =
        make("https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/dns-query",
             peers.ca.ca_file(), {}, 300ms);
    auto outcomes = run_queries(
        io, *upstream, {make_query(1, "www.test", kTypeA), make_query(2, "www.test", kTypeA)});
    for (const auto& outcome : outcomes) {
        EXPECT_EQ(outcome.ec, dns::UpstreamErrc::timed_out) << outcome.ec.message();
        EXPECT_GE(outcome.elapsed, 300ms);
        EXPECT_LT(outcome.elapsed, 600ms);
        EXPECT_EQ(outcome.calls, 1);
    }
}

TEST_F(DohUpstreamTest, CertificateProblemsAreRejected) {
    TestCa other_ca;
    auto upstream = make("https://dns.test@127.0.0.1:" + port() + "/dns-query", other_ca.ca_file());
    auto outcome = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec.category(), dns::tls_verify_category()) << outcome.ec.message();
    EXPECT_LT(outcome.elapsed, 1000ms);

    upstream = make("https://other.test@127.0.0.1:" + port() + "/dns-query", peers.ca.ca_file());
    outcome = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec.category(), dns::tls_verify_category()) << outcome.ec.message();
}

TEST_F(DohUpstreamTest, RefusedConnectionFailsAtOnce) {
    auto upstream =
        make("https://127.0.0.1:" + std::to_string(free_port()) + "/dns-query", peers.ca.ca_file());
    auto outcome = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, boost::asio::error::connection_refused) << outcome.ec.message();
    EXPECT_LT(outcome.elapsed, 1000ms);
}

TEST_F(DohUpstreamTest, HostNameIsResolvedThroughBootstrap) {
    auto upstream =
        make("https://dns.test:" + port() + "/dns-query", peers.ca.ca_file(), {peers.tcp_url()});
    auto outcome = run_query(io, *upstream, make_query(7, "www.test", kTypeA));
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    EXPECT_EQ(read_answer(outcome.response).records, std::vector<std::string>{"192.0.2.1"});
    upstream->close();
}

TEST_F(DohUpstreamTest, DotThroughDnsdistToo) {
    // dnsdist's own DoT listener: a second, independent TLS server implementation.
    dns::UpstreamOptions options;
    options.ca_file = peers.ca.ca_file();
    auto upstream = dns::make_upstream(
        io.get_executor(),
        parse_spec("tls://dns.test@127.0.0.1:" + std::to_string(peers.dnsdist.dot_port())),
        options);
    auto outcome = run_query(io, *upstream, make_query(3, "www.test", kTypeA));
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    EXPECT_EQ(read_answer(outcome.response).records, std::vector<std::string>{"192.0.2.1"});
    upstream->close();
}

}  // namespace
}  // namespace shunt::test

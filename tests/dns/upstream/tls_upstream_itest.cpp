// tls:// (DNS over TLS) against a real unbound: verified answers by name and by IP,
// certificate failures, one connection for many queries, bootstrap of a host name.
#include <openssl/x509.h>

#include <boost/asio/ip/tcp.hpp>

#include "dns/upstream/upstream_error.hpp"
#include "tests/dns/upstream/upstream_test_support.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

class TlsUpstreamTest : public UpstreamTest {
  protected:
    std::string port() const { return std::to_string(peers.unbound.tls_port()); }
};

TEST_F(TlsUpstreamTest, AnswersWithTheCertificateVerifiedByName) {
    auto upstream = make("tls://dns.test@127.0.0.1:" + port(), peers.ca.ca_file());
    auto outcome = run_query(io, *upstream, make_query(0x1111, "www.test", kTypeA));
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    auto answer = read_answer(outcome.response);
    EXPECT_EQ(answer.id, 0x1111);
    EXPECT_EQ(answer.records, std::vector<std::string>{"192.0.2.1"});
    upstream->close();
}

TEST_F(TlsUpstreamTest, AnswersWithTheCertificateVerifiedByIpAddress) {
    auto upstream = make("tls://127.0.0.1:" + port(), peers.ca.ca_file());
    auto outcome = run_query(io, *upstream, make_query(2, "www.test", kTypeAaaa));
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    EXPECT_EQ(read_answer(outcome.response).records, std::vector<std::string>{"2001:db8::1"});
    upstream->close();
}

TEST_F(TlsUpstreamTest, CertificateFromAnotherCaIsRejected) {
    TestCa other_ca;
    auto upstream = make("tls://dns.test@127.0.0.1:" + port(), other_ca.ca_file());
    auto outcome = run_query(io, *upstream, make_query(3, "www.test", kTypeA));
    ASSERT_EQ(outcome.ec.category(), dns::tls_verify_category()) << outcome.ec.message();
    EXPECT_NE(outcome.ec.message().find("TLS verify failed: "), std::string::npos);
    EXPECT_LT(outcome.elapsed, 1000ms);
    EXPECT_EQ(outcome.calls, 1);
}

TEST_F(TlsUpstreamTest, CertificateForAnotherNameIsRejected) {
    auto upstream = make("tls://other.test@127.0.0.1:" + port(), peers.ca.ca_file());
    auto outcome = run_query(io, *upstream, make_query(4, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, dns::tls_verify_error(X509_V_ERR_HOSTNAME_MISMATCH))
        << outcome.ec.message();
    upstream = make("tls://127.0.0.2@127.0.0.1:" + port(), peers.ca.ca_file());
    outcome = run_query(io, *upstream, make_query(5, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, dns::tls_verify_error(X509_V_ERR_IP_ADDRESS_MISMATCH))
        << outcome.ec.message();
}

TEST_F(TlsUpstreamTest, TestCertificateIsNotTrustedBySystemStore) {
    auto upstream = make("tls://dns.test@127.0.0.1:" + port(), "");
    auto outcome = run_query(io, *upstream, make_query(6, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec.category(), dns::tls_verify_category()) << outcome.ec.message();
}

TEST_F(TlsUpstreamTest, SilentServerTimesOutOnTime) {
    // Accepts TCP (in the kernel) but never answers the TLS handshake.
    boost::asio::ip::tcp::acceptor silent(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto upstream = make("tls://127.0.0.1:" + std::to_string(silent.local_endpoint().port()),
                         peers.ca.ca_file(), {}, 300ms);
    auto outcome = run_query(io, *upstream, make_query(1, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, dns::UpstreamErrc::timed_out) << outcome.ec.message();
    EXPECT_GE(outcome.elapsed, 300ms);
    EXPECT_LT(outcome.elapsed, 600ms);
    EXPECT_EQ(outcome.calls, 1);
}

TEST_F(TlsUpstreamTest, ConcurrentQueriesShareOneConnection) {
    auto upstream = make("tls://dns.test@127.0.0.1:" + port(), peers.ca.ca_file());
    std::vector<std::vector<std::uint8_t>> queries;
    for (int i = 0; i < 20; ++i)
        queries.push_back(make_query(static_cast<std::uint16_t>(100 + i % 3),
                                     i % 2 ? "www.test" : "dns.test", kTypeA));
    auto outcomes = run_queries(io, *upstream, queries);
    for (std::size_t i = 0; i < queries.size(); ++i) {
        ASSERT_FALSE(outcomes[i].ec) << i << ": " << outcomes[i].ec.message();
        EXPECT_EQ(outcomes[i].calls, 1);
        auto answer = read_answer(outcomes[i].response);
        EXPECT_EQ(answer.id, 100 + i % 3);
        EXPECT_EQ(answer.records, std::vector<std::string>{i % 2 ? "192.0.2.1" : "127.0.0.1"});
    }
    EXPECT_EQ(established_connections_to(peers.unbound.tls_port()), 1);
    auto again = run_query(io, *upstream, make_query(9, "www.test", kTypeA));
    ASSERT_FALSE(again.ec) << again.ec.message();
    EXPECT_EQ(established_connections_to(peers.unbound.tls_port()), 1);
    upstream->close();
}

TEST_F(TlsUpstreamTest, HostNameIsResolvedThroughBootstrap) {
    // dns.test is 127.0.0.1 in the test zone; the certificate is checked against the name.
    auto upstream = make("tls://dns.test:" + port(), peers.ca.ca_file(),
                         {"udp://127.0.0.1:" + std::to_string(free_port()), peers.udp_url()});
    auto outcome = run_query(io, *upstream, make_query(7, "www.test", kTypeA));
    ASSERT_FALSE(outcome.ec) << outcome.ec.message();
    EXPECT_EQ(read_answer(outcome.response).records, std::vector<std::string>{"192.0.2.1"});
    upstream->close();
}

TEST_F(TlsUpstreamTest, UnresolvableHostNameFails) {
    auto upstream = make("tls://nothing.test:" + port(), peers.ca.ca_file(), {peers.udp_url()});
    auto outcome = run_query(io, *upstream, make_query(8, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, dns::UpstreamErrc::no_address) << outcome.ec.message();
    EXPECT_LT(outcome.elapsed, 1000ms);

    upstream = make("tls://dns.test:" + port(), peers.ca.ca_file());
    outcome = run_query(io, *upstream, make_query(8, "www.test", kTypeA));
    EXPECT_EQ(outcome.ec, dns::UpstreamErrc::no_bootstrap) << outcome.ec.message();
}

TEST_F(TlsUpstreamTest, MissingCaFileIsAnErrorAtCreation) {
    EXPECT_THROW(make("tls://127.0.0.1:" + port(), "/nonexistent/ca.pem"), std::runtime_error);
}

}  // namespace
}  // namespace shunt::test

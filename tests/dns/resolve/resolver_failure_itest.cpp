// The resolver when upstreams go away: answers served from the cache after the
// upstream died, errors within the deadline when nothing answers, and close().
#include <boost/asio/ip/udp.hpp>

#include "tests/dns/resolve/resolver_itest_support.hpp"

namespace shunt::dns::testing {
namespace {

class ResolverFailureTest : public ::testing::Test {
  protected:
    std::shared_ptr<Resolver> make(std::vector<UpstreamSpec> upstreams,
                                   std::chrono::milliseconds timeout) {
        ResolverConfig config;
        config.upstreams = std::move(upstreams);
        config.upstream_options.timeout = timeout;
        return Resolver::create(io.get_executor(), config);
    }
    UpstreamSpec black_hole_spec() { return udp_spec(black_hole.local_endpoint().port()); }

    boost::asio::io_context io;
    // Bound but never read: queries to it are accepted and never answered.
    boost::asio::ip::udp::socket black_hole{
        io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
};

TEST_F(ResolverFailureTest, CachedAnswerOutlivesItsUpstream) {
    auto unbound = std::make_unique<test::UnboundServer>(test::UnboundServer::Options{
        .local_zones = {"test."},
        // With the zone's SOA, NXDOMAIN answers carry it and may be cached (RFC 2308).
        .local_data = {"test. 300 IN SOA ns.test. admin.test. 1 3600 600 86400 60",
                       "www.test. 300 IN A 192.0.2.1", "nx-soon.test. 300 IN A 192.0.2.2"},
        .tls = std::nullopt});
    auto resolver = make({udp_spec(unbound->port())}, 500ms);
    auto first = resolve_one(io, *resolver, client_query("www.test", LDNS_RR_TYPE_A, 1));
    ASSERT_FALSE(first.ec) << first.ec.message();
    auto nx = resolve_one(io, *resolver, client_query("absent.test", LDNS_RR_TYPE_A, 2));
    ASSERT_EQ(nx.rcode(), LDNS_RCODE_NXDOMAIN);

    unbound.reset();  // killed and gone

    auto cached = resolve_one(io, *resolver, client_query("www.test", LDNS_RR_TYPE_A, 3));
    ASSERT_FALSE(cached.ec) << cached.ec.message();
    EXPECT_EQ(cached.records(), std::vector<std::string>{"192.0.2.1"});
    EXPECT_EQ(ldns_pkt_id(cached.packet().get()), 3);
    auto ttls = section_ttls(cached.packet().get(), LDNS_SECTION_ANSWER);
    ASSERT_EQ(ttls.size(), 1u);
    EXPECT_LE(ttls[0], 300u);
    EXPECT_GE(ttls[0], 290u);
    EXPECT_LT(cached.elapsed, 100ms);
    // The negative answer is cached too (RFC 2308).
    EXPECT_EQ(resolve_one(io, *resolver, client_query("absent.test", LDNS_RR_TYPE_A, 4)).rcode(),
              LDNS_RCODE_NXDOMAIN);
    // Proof that the upstream is really down: an uncached name fails.
    auto uncached = resolve_one(io, *resolver, client_query("nx-soon.test", LDNS_RR_TYPE_A, 5));
    EXPECT_TRUE(uncached.ec);
}

TEST_F(ResolverFailureTest, AllUpstreamsDownFailsWithinTheTimeout) {
    // One member never answers, the other's port is closed: the group fails once the
    // silent one times out, not earlier (it might still have answered) and not later.
    auto resolver = make({black_hole_spec(), udp_spec(test::free_port())}, 600ms);
    auto r = resolve_one(io, *resolver, client_query("www.test", LDNS_RR_TYPE_A));
    EXPECT_EQ(r.calls, 1);
    EXPECT_TRUE(r.ec);
    EXPECT_NE(r.ec, boost::asio::error::operation_aborted);
    EXPECT_TRUE(r.answer.empty());
    EXPECT_GE(r.elapsed, 550ms);
    EXPECT_LT(r.elapsed, 600ms + Resolver::kDeadlineMargin + 150ms);
    EXPECT_EQ(resolver->in_flight(), 0u);

    // Only closed ports: refused at once, no waiting for the timeout.
    resolver = make({udp_spec(test::free_port()), udp_spec(test::free_port())}, 2s);
    r = resolve_one(io, *resolver, client_query("www.test", LDNS_RR_TYPE_A));
    EXPECT_TRUE(r.ec);
    EXPECT_LT(r.elapsed, 500ms);
}

TEST_F(ResolverFailureTest, NoUpstreamsIsAnErrorNotAHang) {
    auto resolver = make({}, 500ms);
    auto r = resolve_one(io, *resolver, client_query("www.test", LDNS_RR_TYPE_A));
    EXPECT_EQ(r.calls, 1);
    EXPECT_TRUE(r.ec);
    EXPECT_LT(r.elapsed, 100ms);
}

TEST_F(ResolverFailureTest, CloseAbortsQueriesInFlightAndLaterOnes) {
    auto resolver = make({black_hole_spec()}, 3s);
    auto result = std::make_shared<Result>();
    auto query = client_query("www.test", LDNS_RR_TYPE_A);
    resolver->resolve(query, "www.test", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                      [result](boost::system::error_code ec, std::vector<std::uint8_t>) {
                          ++result->calls;
                          result->ec = ec;
                      });
    io.restart();
    io.run_for(50ms);
    EXPECT_EQ(result->calls, 0);
    auto start = std::chrono::steady_clock::now();
    resolver->close();
    EXPECT_EQ(result->calls, 0);  // posted, never run inside close()
    io.restart();
    io.run_for(200ms);
    EXPECT_EQ(result->calls, 1);
    EXPECT_EQ(result->ec, boost::asio::error::operation_aborted);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);

    auto late = resolve_one(io, *resolver, query);
    EXPECT_EQ(late.ec, boost::asio::error::operation_aborted);
    EXPECT_EQ(late.calls, 1);
}

}  // namespace
}  // namespace shunt::dns::testing

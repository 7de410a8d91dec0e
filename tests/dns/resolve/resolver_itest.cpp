// The resolver against real unbound instances on loopback: nameserver_policy routing,
// the domestic/foreign split, group semantics and lookup_addresses. Two unbounds serve
// different data for the same names, so each answer proves which one it came from.
#include <boost/asio/ip/udp.hpp>

#include "tests/dns/resolve/resolver_itest_support.hpp"

namespace shunt::dns::testing {
namespace {

// "A" is the default group and the domestic side; "B" the policy target and the
// foreign side. Unknown names in test. are NXDOMAIN; names outside it are REFUSED.
struct Peers {
    test::UnboundServer a{
        {.local_zones = {"test."},
         .local_data = {"www.test. 300 IN A 192.0.2.1", "MiXeD.test. 300 IN A 192.0.2.2",
                        "www.corp.test. 300 IN A 192.0.2.10", "cn.test. 300 IN A 192.0.2.20",
                        "v6.test. 300 IN AAAA 2001:db8::20", "poisoned.test. 300 IN A 10.10.10.10",
                        "txt.test. 300 IN TXT domestic", "dual.test. 300 IN A 192.0.2.30",
                        "dual.test. 300 IN AAAA 2001:db8::30"},
         .tls = std::nullopt}};
    test::UnboundServer b{
        {.local_zones = {"test.", "other."},
         .local_data = {"www.corp.test. 300 IN A 198.51.100.10",
                        "only.corp.test. 300 IN A 198.51.100.11", "cn.test. 300 IN A 203.0.113.20",
                        "v6.test. 300 IN AAAA 2001:db8:ffff::20",
                        "poisoned.test. 300 IN A 203.0.113.30", "txt.test. 300 IN TXT foreign",
                        "x.other. 300 IN A 198.51.100.99"},
         .tls = std::nullopt}};

    static Peers& get() {
        static Peers peers;
        return peers;
    }
};

class ResolverTest : public ::testing::Test {
  protected:
    std::shared_ptr<Resolver> make(ResolverConfig config, std::chrono::milliseconds timeout = 2s) {
        config.upstream_options.timeout = timeout;
        return Resolver::create(io.get_executor(), config);
    }
    ResolverConfig split_config(std::vector<UpstreamSpec> foreign) {
        dir.write("domestic.txt", "# test set\n192.0.2.0/24\n2001:db8::/32\n");
        ResolverConfig config;
        config.split = ResolverConfig::Split{
            {udp_spec(peers.a.port())}, std::move(foreign), dir.file("domestic.txt")};
        return config;
    }

    boost::asio::io_context io;
    Peers& peers = Peers::get();
    test::TempDir dir;
};

TEST_F(ResolverTest, DefaultGroupAnswersWithClientIdAndSpelling) {
    ResolverConfig config;
    config.upstreams = {udp_spec(peers.a.port())};
    auto resolver = make(config);
    auto r = resolve_one(io, *resolver, client_query("mIxEd.TeSt", LDNS_RR_TYPE_A, 0x5151));
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.records(), std::vector<std::string>{"192.0.2.2"});
    EXPECT_EQ(ldns_pkt_id(r.packet().get()), 0x5151);
    EXPECT_EQ(question_name(r.packet().get()), "mIxEd.TeSt.");

    // The same question again comes from the cache, still with this client's id.
    auto again = resolve_one(io, *resolver, client_query("MIXED.test", LDNS_RR_TYPE_A, 0x0606));
    EXPECT_EQ(again.records(), std::vector<std::string>{"192.0.2.2"});
    EXPECT_EQ(ldns_pkt_id(again.packet().get()), 0x0606);
    EXPECT_EQ(question_name(again.packet().get()), "MIXED.test.");
    EXPECT_EQ(resolver->stats().cache_hits, 1u);

    auto nx = resolve_one(io, *resolver, client_query("missing.test", LDNS_RR_TYPE_A));
    ASSERT_FALSE(nx.ec);
    EXPECT_EQ(nx.rcode(), LDNS_RCODE_NXDOMAIN);
}

TEST_F(ResolverTest, PolicyRoutesSuffixToItsOwnGroup) {
    ResolverConfig config;
    config.upstreams = {udp_spec(peers.a.port())};
    config.nameserver_policy = {{pattern("+.corp.test"), {udp_spec(peers.b.port())}},
                                {pattern("+.test"), {udp_spec(peers.a.port())}}};
    auto resolver = make(config);
    auto results = resolve_all(
        io, *resolver,
        {client_query("www.corp.test", LDNS_RR_TYPE_A),
         client_query("only.corp.test", LDNS_RR_TYPE_A), client_query("www.test", LDNS_RR_TYPE_A)});
    for (const auto& r : results) ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(results[0].records(), std::vector<std::string>{"198.51.100.10"});  // B, not A
    EXPECT_EQ(results[1].records(), std::vector<std::string>{"198.51.100.11"});
    EXPECT_EQ(results[2].records(), std::vector<std::string>{"192.0.2.1"});
}

TEST_F(ResolverTest, SplitKeepsDomesticAnswersInsideTheIpSet) {
    auto resolver = make(split_config({udp_spec(peers.b.port())}));
    auto results = resolve_all(
        io, *resolver,
        {client_query("cn.test", LDNS_RR_TYPE_A), client_query("v6.test", LDNS_RR_TYPE_AAAA),
         client_query("poisoned.test", LDNS_RR_TYPE_A),
         client_query("txt.test", LDNS_RR_TYPE_TXT)});
    for (const auto& r : results) ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(results[0].records(), std::vector<std::string>{"192.0.2.20"});    // domestic, in set
    EXPECT_EQ(results[1].records(), std::vector<std::string>{"2001:db8::20"});  // domestic, in set
    EXPECT_EQ(results[2].records(), std::vector<std::string>{"203.0.113.30"});  // outside: foreign
    EXPECT_EQ(results[3].records(),
              std::vector<std::string>{"\"foreign\""});  // no address: foreign
}

TEST_F(ResolverTest, SplitAnswersDomesticInSetWithoutWaitingForForeign) {
    boost::asio::ip::udp::socket silent_foreign(
        io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto resolver = make(split_config({udp_spec(silent_foreign.local_endpoint().port())}), 1500ms);
    auto r = resolve_one(io, *resolver, client_query("cn.test", LDNS_RR_TYPE_A));
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.records(), std::vector<std::string>{"192.0.2.20"});
    EXPECT_LT(r.elapsed, 500ms);
}

TEST_F(ResolverTest, SplitFallsBackToDomesticWhenForeignIsDown) {
    auto resolver = make(split_config({udp_spec(test::free_port())}), 1s);
    auto r = resolve_one(io, *resolver, client_query("poisoned.test", LDNS_RR_TYPE_A));
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.records(), std::vector<std::string>{"10.10.10.10"});
    // A fallback may be a polluted answer: it is not cached.
    EXPECT_EQ(resolver->cache_size(), 0u);
}

TEST_F(ResolverTest, SplitIpSetErrorsNameFileAndLine) {
    dir.write("bad.txt", "192.0.2.0/24\nnonsense\n");
    ResolverConfig config;
    config.split = ResolverConfig::Split{
        {udp_spec(peers.a.port())}, {udp_spec(peers.b.port())}, dir.file("bad.txt")};
    try {
        Resolver::create(io.get_executor(), config);
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(dir.file("bad.txt") + ":2:"), std::string::npos)
            << e.what();
    }
    config.split->foreign.clear();
    config.split->domestic_ip_set_path = dir.file("missing.txt");
    EXPECT_THROW(Resolver::create(io.get_executor(), config), std::runtime_error);
}

TEST_F(ResolverTest, GroupTakesFirstGoodAnswerOverRefusalsAndSilence) {
    // A silent member must not delay the group: the good answer wins at once.
    boost::asio::ip::udp::socket black_hole(
        io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    ResolverConfig config;
    // A refuses "other." (outside its zones), B answers it.
    config.upstreams = {udp_spec(black_hole.local_endpoint().port()), udp_spec(peers.a.port()),
                        udp_spec(peers.b.port())};
    auto resolver = make(config, 1500ms);
    auto r = resolve_one(io, *resolver, client_query("x.other", LDNS_RR_TYPE_A));
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.records(), std::vector<std::string>{"198.51.100.99"});
    EXPECT_LT(r.elapsed, 1000ms);

    // When every member refuses, the refusal is passed on (not cached).
    config.upstreams = {udp_spec(peers.a.port()), udp_spec(peers.b.port())};
    resolver = make(config);
    r = resolve_one(io, *resolver, client_query("example.org", LDNS_RR_TYPE_A));
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.rcode(), LDNS_RCODE_REFUSED);
    EXPECT_EQ(resolver->cache_size(), 0u);
}

TEST_F(ResolverTest, SameQuestionInFlightIsAskedOnce) {
    ResolverConfig config;
    config.upstreams = {udp_spec(peers.a.port())};
    auto resolver = make(config);
    auto results = resolve_all(
        io, *resolver,
        {client_query("www.test", LDNS_RR_TYPE_A, 1), client_query("WWW.test", LDNS_RR_TYPE_A, 2),
         client_query("www.test", LDNS_RR_TYPE_A, 3, /*edns=*/true)});
    for (const auto& r : results) ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(resolver->stats().joined, 1u);  // the EDNS query is a different flavor
    EXPECT_EQ(ldns_pkt_id(results[1].packet().get()), 2);
    EXPECT_EQ(question_name(results[1].packet().get()), "WWW.test.");
    EXPECT_FALSE(ldns_pkt_edns(results[0].packet().get()));
    EXPECT_TRUE(ldns_pkt_edns(results[2].packet().get()));
}

TEST_F(ResolverTest, LookupAddressesGivesBothFamilies) {
    ResolverConfig config;
    config.upstreams = {udp_spec(peers.a.port())};
    auto resolver = make(config);
    struct Lookup {
        int calls = 0;
        boost::system::error_code ec;
        std::vector<std::string> addresses;
    };
    auto lookup = [&](std::string name) {
        auto out = std::make_shared<Lookup>();
        resolver->lookup_addresses(
            name, [out](boost::system::error_code ec, std::vector<IpAddress> list) {
                ++out->calls;
                out->ec = ec;
                for (auto& a : list) out->addresses.push_back(a.to_string());
            });
        io.restart();
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (out->calls == 0 && std::chrono::steady_clock::now() < deadline)
            io.run_one_until(deadline);
        return *out;
    };
    auto dual = lookup("Dual.Test");
    EXPECT_EQ(dual.calls, 1);
    EXPECT_FALSE(dual.ec) << dual.ec.message();
    EXPECT_EQ(dual.addresses, (std::vector<std::string>{"192.0.2.30", "2001:db8::30"}));
    EXPECT_EQ(lookup("missing.test").ec, boost::asio::error::host_not_found);
    EXPECT_EQ(lookup("txt.test").ec, boost::asio::error::no_data);
    EXPECT_EQ(lookup("2001:db8::5").addresses, std::vector<std::string>{"2001:db8::5"});
    EXPECT_EQ(lookup("bad..name").ec, boost::asio::error::invalid_argument);
    // The two questions went through the cache like any other.
    auto before = resolver->stats().cache_hits;
    EXPECT_EQ(lookup("dual.test").addresses.size(), 2u);
    EXPECT_EQ(resolver->stats().cache_hits, before + 2);
}

TEST_F(ResolverTest, DroppedResolverStillAnswersQueriesInFlight) {
    // What a config reload does: the server lets go of the old resolver at once.
    ResolverConfig config;
    config.upstreams = {udp_spec(peers.a.port())};
    auto resolver = make(config);
    std::weak_ptr<Resolver> weak = resolver;
    auto result = std::make_shared<Result>();
    auto query = client_query("www.test", LDNS_RR_TYPE_A);
    resolver->resolve(query, "www.test", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                      [result](boost::system::error_code ec, std::vector<std::uint8_t> answer) {
                          ++result->calls;
                          result->ec = ec;
                          result->answer = std::move(answer);
                      });
    resolver.reset();
    EXPECT_FALSE(weak.expired());  // held by its query in flight
    io.restart();
    io.run_for(2s);  // returns early once nothing is left to run
    EXPECT_EQ(result->calls, 1);
    EXPECT_FALSE(result->ec) << result->ec.message();
    EXPECT_EQ(result->records(), std::vector<std::string>{"192.0.2.1"});
    EXPECT_TRUE(weak.expired());  // and gone once it answered
}

}  // namespace
}  // namespace shunt::dns::testing

// FlowClassifier without root, a TUN or a DNS server: a table of fake IPs stands in for the
// pool, the rules and outbounds come from a real config. TCP and UDP flows go through the
// same steps, so every case runs for both.
#include <gtest/gtest.h>

#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "config/config_loader.hpp"
#include "flow/flow_classifier.hpp"
#include "flow/live_flow.hpp"
#include "outbound/outbound_builder.hpp"
#include "outbound/outbound_set.hpp"
#include "rules/engine/rule_build.hpp"
#include "tests/support/table_destination_names.hpp"

namespace shunt::flow {
namespace {

const char* kConfig = R"(
rules = [
  "DOMAIN-SUFFIX,ads.test,REJECT",
  "DOMAIN,named.test,proxy",
  "IP-CIDR,203.0.113.0/24,home",
  "MATCH,DIRECT",
]

[[proxies]]
name = "home"
type = "socks5"
server = "192.0.2.1"
port = 1080
udp = true

[[groups]]
name = "proxy"
type = "select"
proxies = ["home", "DIRECT"]
)";

class FlowClassifierTest : public ::testing::TestWithParam<rules::Network> {
  protected:
    FlowClassifierTest() {
        auto loaded = parse_config(kConfig, "test.toml");
        for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
        config = loaded.config;
        auto built = rules::build_rules(*config);
        for (const auto& e : built.errors) ADD_FAILURE() << e.format();
        engine = std::make_shared<rules::RuleEngine>(built.rules, config->mode);
        outbounds = outbound::build_outbounds(*config, io.get_executor(), nullptr).set;
        classifier = std::make_unique<FlowClassifier>(names, engine, outbounds);
    }

    std::shared_ptr<ClassifiedFlow> classify(const char* destination) {
        return classifier->classify(
            {GetParam(), *Endpoint::parse("10.0.0.2:40000"), *Endpoint::parse(destination)});
    }

    // resolve() and the loop until it finished.
    void resolve(const std::shared_ptr<ClassifiedFlow>& flow) {
        bool done = false;
        classifier->resolve(flow, [&] { done = true; });
        io.run();
        io.restart();
        ASSERT_TRUE(done);
    }

    boost::asio::io_context io;
    test::TableNames names{io};
    std::shared_ptr<const Config> config;
    std::shared_ptr<rules::RuleEngine> engine;
    std::shared_ptr<outbound::OutboundSet> outbounds;
    std::unique_ptr<FlowClassifier> classifier;
};

INSTANTIATE_TEST_SUITE_P(TcpAndUdp, FlowClassifierTest,
                         ::testing::Values(rules::Network::tcp, rules::Network::udp));

TEST_P(FlowClassifierTest, AFakeIpIsRoutedByItsDomainAndDialedByName) {
    const auto flow = classify("198.18.0.5:443");
    EXPECT_EQ(flow->outcome, FlowOutcome::routed);
    EXPECT_TRUE(flow->fake);
    EXPECT_EQ(flow->domain, "named.test");
    EXPECT_EQ(flow->metadata.network, GetParam());
    EXPECT_FALSE(flow->metadata.destination) << "a fake address says nothing about the real one";
    ASSERT_NE(flow->outbound, nullptr);
    EXPECT_EQ(flow->outbound->name(), "proxy");
    const auto target = flow->target();
    EXPECT_EQ(target.domain, "named.test");
    EXPECT_FALSE(target.address) << "the fake IP never leaves the machine";
    EXPECT_EQ(target.port, 443);
    EXPECT_EQ(names.lookups, 0);

    const FlowRecord live = FlowRecord::from(*flow);
    EXPECT_EQ(live.network, GetParam());
    EXPECT_EQ(live.domain, "named.test");
    EXPECT_EQ(live.rule, "DOMAIN");
    EXPECT_EQ(live.rule_payload, "named.test");
    EXPECT_EQ(live.chain, (std::vector<std::string>{"home", "proxy"}))
        << "the member that carries it first, the rule's target last";
}

TEST_P(FlowClassifierTest, AFakeIpThePoolDoesNotKnowIsNeverDialed) {
    const auto flow = classify("198.18.0.99:443");
    EXPECT_EQ(flow->outcome, FlowOutcome::unknown_fake_ip);
    EXPECT_EQ(flow->outbound, nullptr);
}

TEST_P(FlowClassifierTest, RejectIsAnOutcomeWithTheRuleAsItsReason) {
    const auto flow = classify("198.18.0.6:443");
    EXPECT_EQ(flow->outcome, FlowOutcome::rejected);
    EXPECT_EQ(flow->outbound, nullptr);
    EXPECT_EQ(flow->refusal, "rejected by DOMAIN-SUFFIX,ads.test -> REJECT (rule 1)");
}

TEST_P(FlowClassifierTest, AnIpRuleResolvesTheDomainOnceAndResumes) {
    const auto flow = classify("198.18.0.7:53");
    ASSERT_EQ(flow->outcome, FlowOutcome::deciding);
    resolve(flow);
    EXPECT_EQ(names.lookups, 1);
    EXPECT_EQ(flow->outcome, FlowOutcome::routed);
    ASSERT_NE(flow->outbound, nullptr);
    EXPECT_EQ(flow->outbound->name(), "home");
    const auto target = flow->target();
    EXPECT_EQ(target.domain, "resolves.test");
    EXPECT_EQ(target.resolved.size(), 2U) << "the outbound dials what was resolved";
    EXPECT_EQ(FlowRecord::from(*flow).rule, "IP-CIDR");
}

TEST_P(FlowClassifierTest, ANameThatDoesNotResolveMissesTheIpRules) {
    const auto flow = classify("198.18.0.8:53");
    ASSERT_EQ(flow->outcome, FlowOutcome::deciding);
    resolve(flow);
    EXPECT_EQ(flow->outcome, FlowOutcome::routed);
    EXPECT_EQ(flow->outbound->name(), "DIRECT");
    EXPECT_TRUE(flow->resolved.empty());
    EXPECT_EQ(FlowRecord::from(*flow).rule, "MATCH");
}

TEST_P(FlowClassifierTest, ARealDestinationIsDecidedByItsAddressWithoutALookup) {
    const auto flow = classify("203.0.113.20:8080");
    EXPECT_EQ(flow->outcome, FlowOutcome::routed);
    EXPECT_FALSE(flow->fake);
    EXPECT_TRUE(flow->domain.empty());
    EXPECT_EQ(flow->outbound->name(), "home");
    EXPECT_EQ(flow->target().address, IpAddress::parse("203.0.113.20"));
    EXPECT_EQ(names.lookups, 0);
}

TEST_P(FlowClassifierTest, AFlowKeepsTheOutboundsItBeganWithAcrossAReload) {
    const auto flow = classify("198.18.0.7:53");
    ASSERT_EQ(flow->outcome, FlowOutcome::deciding);
    auto reloaded = outbound::build_outbounds(*config, io.get_executor(), nullptr).set;
    classifier->set_outbounds(reloaded);
    resolve(flow);
    EXPECT_EQ(flow->outbound, outbounds->find("home")) << "the set it began with";
    EXPECT_EQ(classify("198.18.0.5:443")->outbound, reloaded->find("proxy"));
}

TEST_P(FlowClassifierTest, ATargetTheOutboundsLackIsNoOutboundNotAReject) {
    const auto bare = parse_config("[dns]\nupstreams = [\"udp://127.0.0.1\"]\n", "bare.toml");
    ASSERT_TRUE(bare.config);
    classifier->set_outbounds(
        outbound::build_outbounds(*bare.config, io.get_executor(), nullptr).set);
    const auto flow = classify("198.18.0.5:443");
    EXPECT_EQ(flow->outcome, FlowOutcome::no_outbound);
    EXPECT_EQ(flow->refusal, "no outbound named proxy");
}

TEST_P(FlowClassifierTest, GlobalModeNamesTheModeAsTheRule) {
    engine->set_mode(rules::Mode::global);
    const auto flow = classify("198.18.0.5:443");
    EXPECT_EQ(flow->outbound->name(), "GLOBAL");
    const FlowRecord live = FlowRecord::from(*flow);
    EXPECT_EQ(live.rule, "GLOBAL");
    EXPECT_EQ(live.chain, (std::vector<std::string>{"home", "GLOBAL"}));
}

}  // namespace
}  // namespace shunt::flow

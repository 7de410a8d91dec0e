// UdpFlowRouter on the flow classifier, without root: a UDP flow to a fake IP whose rule
// needs the name's address is resolved once by the classifier (the same path TCP takes),
// its datagrams wait meanwhile, and the outbound the finished verdict names opens — here
// DIRECT, to a real UDP socket on loopback. A name that does not resolve misses the IP
// rule. The live flow carries the finished rule.
#include "netstack/udp/udp_flow_router.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "config/config_loader.hpp"
#include "flow/flow_classifier.hpp"
#include "flow/live_flow.hpp"
#include "outbound/outbound_builder.hpp"
#include "outbound/outbound_set.hpp"
#include "rules/engine/rule_build.hpp"
#include "tests/support/table_destination_names.hpp"

namespace shunt::netstack {
namespace {

const char* kConfig = R"(
rules = [
  "IP-CIDR,127.0.0.0/8,DIRECT",
  "MATCH,REJECT",
]
)";

class UdpFlowRouterTest : public ::testing::Test {
  protected:
    UdpFlowRouterTest() {
        auto loaded = parse_config(kConfig, "test.toml");
        for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
        auto built = rules::build_rules(*loaded.config);
        for (const auto& e : built.errors) ADD_FAILURE() << e.format();
        auto engine = std::make_shared<rules::RuleEngine>(built.rules, loaded.config->mode);
        auto outbounds = outbound::build_outbounds(*loaded.config, io.get_executor(), nullptr).set;
        names.domains = {{"198.18.0.7", "loop.test"}, {"198.18.0.8", "nowhere.test"}};
        names.addresses = {{"loop.test", {*IpAddress::parse("127.0.0.1")}}};
        classifier = std::make_unique<flow::FlowClassifier>(names, engine, outbounds);
        router = std::make_unique<UdpFlowRouter>(*classifier);
    }

    // Sends `payload` on the plan's outbound as the session table would.
    static UdpSendResult send(UdpSessionPlan& plan, const std::string& payload) {
        plan.outbound->start([](std::span<const std::uint8_t>, const Endpoint&) {},
                             [](std::string_view) {});
        return plan.outbound->send(
            std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
            plan.remote);
    }

    boost::asio::io_context io;
    flow::test::TableNames names{io};
    std::unique_ptr<flow::FlowClassifier> classifier;
    std::unique_ptr<UdpFlowRouter> router;
};

TEST_F(UdpFlowRouterTest, AnIpRuleIsDecidedAfterOneResolutionThenTheDatagramGoes) {
    boost::asio::ip::udp::socket server(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    const auto port = server.local_endpoint().port();
    auto plan = router->operator()({*Endpoint::parse("10.0.0.2:40000"),
                                    *Endpoint::parse("198.18.0.7:" + std::to_string(port))});
    ASSERT_TRUE(plan.outbound);
    ASSERT_TRUE(plan.live);
    EXPECT_EQ(plan.live->domain, "loop.test");
    EXPECT_EQ(send(plan, "hello"), UdpSendResult::sent) << "queued while the name resolves";

    std::array<char, 64> received{};
    std::size_t got = 0;
    server.async_receive(boost::asio::buffer(received),
                         [&](const boost::system::error_code& ec, std::size_t n) {
                             if (!ec) got = n;
                         });
    // The outbound's own receive keeps the loop busy: run until the datagram is in.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (got == 0 && std::chrono::steady_clock::now() < deadline)
        io.run_one_for(std::chrono::milliseconds(100));
    EXPECT_EQ(std::string(received.data(), got), "hello");
    EXPECT_EQ(names.lookups, 1) << "one resolution, by the classifier";
    EXPECT_EQ(plan.live->rule, "IP-CIDR");
    EXPECT_EQ(plan.live->rule_payload, "127.0.0.0/8");
    EXPECT_EQ(plan.live->chain, (std::vector<std::string>{"DIRECT"}));
    plan.outbound->close();
}

TEST_F(UdpFlowRouterTest, ANameThatDoesNotResolveMissesTheIpRule) {
    auto plan =
        router->operator()({*Endpoint::parse("10.0.0.2:40000"), *Endpoint::parse("198.18.0.8:53")});
    ASSERT_TRUE(plan.outbound);
    send(plan, "lost");
    io.run_for(std::chrono::milliseconds(500));
    EXPECT_EQ(names.lookups, 1);
    EXPECT_EQ(plan.live->rule, "MATCH");
    EXPECT_EQ(router->stats().rejected, 1u);
    plan.outbound->close();
}

TEST_F(UdpFlowRouterTest, ARefusedFlowBuildsNoLiveFlow) {
    // A real address that no rule sends anywhere but REJECT: refused at once.
    auto plan =
        router->operator()({*Endpoint::parse("10.0.0.2:40000"), *Endpoint::parse("192.0.2.1:53")});
    EXPECT_FALSE(plan.outbound);
    EXPECT_FALSE(plan.live);
    EXPECT_EQ(names.lookups, 0);
}

}  // namespace
}  // namespace shunt::netstack

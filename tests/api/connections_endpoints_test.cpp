// /connections as dashboards read it (docs/api.md §2.6), from a real registry with flows
// owned by test sessions: field names, strings where mihomo has strings, a fake
// destination shown as "", mihomo's rule names, chains leaf first, totals including ended
// flows; DELETE closes through the owner, an unknown id is still 204.
#include "api/connections_endpoints.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "api/rule_names.hpp"

namespace shunt::api {
namespace {

namespace http = boost::beast::http;

struct TestSession final : flow::FlowOwner {
    flow::FlowRegistry* registry = nullptr;
    std::unique_ptr<flow::LiveFlow> live;
    int closed = 0;
    void close_flow() override {
        ++closed;
        registry->remove(*live);
    }
};

class ConnectionsTest : public ::testing::Test {
  protected:
    ConnectionsTest() {
        add_connection_endpoints(
            router, {registry,
                     [](const IpAddress& a) { return Prefix::parse("198.18.0.0/15")->contains(a); },
                     "fake-ip"});
    }
    TestSession& add(flow::FlowRecord record) {
        auto& session = sessions.emplace_back(std::make_unique<TestSession>());
        session->registry = &registry;
        session->live = std::make_unique<flow::LiveFlow>(std::move(record));
        registry.add(*session->live, *session);
        return *session;
    }
    ApiResponse call(http::verb method, const std::string& target) {
        ApiResponse response;
        router.route({method, *RequestTarget::parse(target), ""},
                     [&](ApiResponse answer) { response = std::move(answer); });
        return response;
    }

    flow::FlowRegistry registry;
    std::vector<std::unique_ptr<TestSession>> sessions;
    ApiRouter router;
};

flow::FlowRecord named_flow() {
    flow::FlowRecord r;
    r.network = rules::Network::tcp;
    r.source = *Endpoint::parse("10.0.0.2:51234");
    r.destination = *Endpoint::parse("198.18.0.7:443");
    r.domain = "example.com";
    r.process = std::make_shared<const rules::SocketOwner>(
        rules::SocketOwner{1000, 4242, "curl", "/usr/bin/curl"});
    r.rule = "DOMAIN-SUFFIX";
    r.rule_payload = "example.com";
    r.chain = {"home-socks", "proxy"};
    r.start = std::chrono::system_clock::time_point(std::chrono::milliseconds(1758766356432));
    r.upload = 512;
    r.download = 40960;
    return r;
}

TEST_F(ConnectionsTest, ASnapshotHasMihomosFieldsAndTypes) {
    add(named_flow());
    flow::FlowRecord plain;
    plain.network = rules::Network::udp;
    plain.source = *Endpoint::parse("10.0.0.2:5353");
    plain.destination = *Endpoint::parse("192.0.2.1:53");
    plain.rule = "MATCH";
    plain.chain = {"DIRECT"};
    add(plain);

    const auto response = call(http::verb::get, "/connections");
    ASSERT_EQ(response.status, http::status::ok);
    const auto json = boost::json::parse(response.body).as_object();
    ASSERT_EQ(json.at("connections").as_array().size(), 2u);
    const auto& c = json.at("connections").as_array()[0].as_object();
    EXPECT_EQ(c.at("id"), boost::json::value(std::to_string(sessions[0]->live->id)));
    EXPECT_EQ(c.at("upload").to_number<std::uint64_t>(), 512u);
    EXPECT_EQ(c.at("download").to_number<std::uint64_t>(), 40960u);
    EXPECT_EQ(c.at("start"), "2025-09-25T02:12:36.432Z");
    EXPECT_EQ(c.at("chains"), boost::json::parse(R"(["home-socks","proxy"])"));
    EXPECT_EQ(c.at("rule"), "DomainSuffix");
    EXPECT_EQ(c.at("rulePayload"), "example.com");
    const auto& m = c.at("metadata").as_object();
    EXPECT_EQ(m.at("network"), "tcp");
    EXPECT_EQ(m.at("type"), "Tun");
    EXPECT_EQ(m.at("sourceIP"), "10.0.0.2");
    EXPECT_EQ(m.at("sourcePort"), "51234") << "ports are strings";
    EXPECT_EQ(m.at("destinationIP"), "") << "a fake IP is not shown";
    EXPECT_EQ(m.at("destinationPort"), "443");
    EXPECT_EQ(m.at("host"), "example.com");
    EXPECT_EQ(m.at("dnsMode"), "fake-ip");
    EXPECT_EQ(m.at("process"), "curl");
    EXPECT_EQ(m.at("processPath"), "/usr/bin/curl");
    EXPECT_EQ(m.at("uid").to_number<int>(), 1000);

    const auto& p = json.at("connections").as_array()[1].as_object();
    EXPECT_EQ(p.at("metadata").at("network"), "udp");
    EXPECT_EQ(p.at("metadata").at("destinationIP"), "192.0.2.1");
    EXPECT_EQ(p.at("metadata").at("dnsMode"), "normal");
    EXPECT_EQ(p.at("metadata").at("process"), "");
    EXPECT_EQ(p.at("rule"), "Match");
    EXPECT_EQ(p.at("rulePayload"), "");
    EXPECT_GT(json.at("memory").to_number<std::uint64_t>(), 0u);
}

TEST_F(ConnectionsTest, TotalsKeepEndedFlowsAndAnEmptyListIsAnArray) {
    auto& a = add(named_flow());
    registry.remove(*a.live);
    const auto json = boost::json::parse(call(http::verb::get, "/connections").body).as_object();
    EXPECT_TRUE(json.at("connections").as_array().empty());
    EXPECT_EQ(json.at("uploadTotal").to_number<std::uint64_t>(), 512u);
    EXPECT_EQ(json.at("downloadTotal").to_number<std::uint64_t>(), 40960u);
}

TEST_F(ConnectionsTest, DeleteClosesThroughTheSessionAndUnknownIdsAreNoError) {
    auto& a = add(named_flow());
    auto& b = add(named_flow());
    const auto id = std::to_string(a.live->id);
    EXPECT_EQ(call(http::verb::delete_, "/connections/" + id).status, http::status::no_content);
    EXPECT_EQ(a.closed, 1);
    EXPECT_EQ(b.closed, 0);
    EXPECT_EQ(call(http::verb::delete_, "/connections/" + id).status, http::status::no_content);
    EXPECT_EQ(call(http::verb::delete_, "/connections/not-a-number").status,
              http::status::no_content);
    EXPECT_EQ(a.closed, 1);
    add(named_flow());
    EXPECT_EQ(call(http::verb::delete_, "/connections").status, http::status::no_content);
    EXPECT_EQ(registry.size(), 0u);
    EXPECT_EQ(b.closed, 1);
}

TEST(RuleNames, MihomosNamesForEveryRuleTypeAndTheModesUnchanged) {
    EXPECT_EQ(mihomo_rule_name("DOMAIN"), "Domain");
    EXPECT_EQ(mihomo_rule_name("IP-CIDR6"), "IPCIDR");
    EXPECT_EQ(mihomo_rule_name("SRC-IP-CIDR"), "SrcIPCIDR");
    EXPECT_EQ(mihomo_rule_name("RULE-SET"), "RuleSet");
    EXPECT_EQ(mihomo_rule_name("PROCESS-PATH"), "ProcessPath");
    EXPECT_EQ(mihomo_rule_name("GLOBAL"), "GLOBAL");
    for (int t = 0; t <= static_cast<int>(rules::RuleType::match); ++t)
        EXPECT_NE(mihomo_rule_name(static_cast<rules::RuleType>(t)), "Unknown") << t;
}

}  // namespace
}  // namespace shunt::api

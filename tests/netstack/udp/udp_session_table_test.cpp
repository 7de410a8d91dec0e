// UdpSessionTable with a scripted outbound: flow keys, fake-IP source rewriting, full cone,
// the LRU cap, the idle timeout, refusals and drops. The kernel path is in the itest.
#include "netstack/udp/udp_session_table.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

#include "flow/flow_registry.hpp"
#include "netstack/packet/udp_datagram.hpp"

namespace shunt::netstack {
namespace {

struct Sent {
    std::string payload;
    Endpoint to;
};

// What the test sees of one outbound: sends, close, and a way to inject replies.
struct OutboundProbe {
    std::vector<Sent> sent;
    bool closed = false;
    UdpSendResult next_result = UdpSendResult::sent;
    UdpOutbound::ReceiveHandler on_receive;
    UdpOutbound::ErrorHandler on_error;
};

class ScriptedOutbound final : public UdpOutbound {
  public:
    explicit ScriptedOutbound(std::shared_ptr<OutboundProbe> probe) : probe_(std::move(probe)) {}
    void start(ReceiveHandler on_receive, ErrorHandler on_error) override {
        probe_->on_receive = std::move(on_receive);
        probe_->on_error = std::move(on_error);
    }
    UdpSendResult send(std::span<const std::uint8_t> payload, const Endpoint& to) override {
        if (probe_->next_result == UdpSendResult::sent) {
            probe_->sent.push_back({std::string(payload.begin(), payload.end()), to});
        }
        return probe_->next_result;
    }
    void close() override {
        probe_->closed = true;
        probe_->on_receive = nullptr;
        probe_->on_error = nullptr;
    }

  private:
    std::shared_ptr<OutboundProbe> probe_;
};

struct Written {
    Endpoint source;
    Endpoint destination;
    std::string payload;
};

class UdpSessionTableTest : public ::testing::Test {
  protected:
    // With a registry, every plan carries a live flow (as UdpFlowRouter's do).
    UdpSessionTable make_table(UdpSessionLimits limits = {},
                               flow::FlowRegistry* registry = nullptr) {
        return UdpSessionTable(
            io.get_executor(),
            [this, registry](const UdpFlow& flow) -> UdpSessionPlan {
                flows.push_back(flow);
                if (refuse) return {};
                auto probe = std::make_shared<OutboundProbe>();
                probes.push_back(probe);
                // The "fake" 198.18.0.0/15 destinations map to a real server.
                Endpoint remote = flow.destination;
                if (flow.destination.address == *IpAddress::parse("198.18.3.4")) {
                    remote = *Endpoint::parse("10.0.0.53:5353");
                }
                std::shared_ptr<flow::LiveFlow> live;
                if (registry != nullptr) {
                    flow::FlowRecord record;
                    record.network = rules::Network::udp;
                    record.source = flow.source;
                    record.destination = flow.destination;
                    live = std::make_shared<flow::LiveFlow>(std::move(record));
                }
                return {std::make_unique<ScriptedOutbound>(probe), remote, std::move(live)};
            },
            [this](std::span<const std::uint8_t> packet) {
                const auto parsed = parse_ip_packet(packet);
                ASSERT_TRUE(parsed.ok());
                const auto datagram = parse_udp_datagram(parsed.view);
                ASSERT_TRUE(datagram);
                written.push_back(
                    {datagram->source, datagram->destination,
                     std::string(datagram->payload.begin(), datagram->payload.end())});
            },
            limits, registry);
    }

    // Feeds the table a datagram as the TUN would.
    void send_from_app(UdpSessionTable& table, const std::string& from, const std::string& to,
                       const std::string& payload) {
        send_from_app(table, *Endpoint::parse(from), *Endpoint::parse(to), payload);
    }
    void send_from_app(UdpSessionTable& table, const Endpoint& from, const Endpoint& to,
                       const std::string& payload) {
        std::vector<std::uint8_t> buffer(2000);
        const auto payload_bytes =
            std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
        const std::size_t length = build_udp_packet({from, to, payload_bytes}, buffer);
        ASSERT_GT(length, 0u);
        const auto parsed = parse_ip_packet(std::span(buffer.data(), length));
        ASSERT_TRUE(parsed.ok());
        table.handle_packet(parsed.view);
    }

    static void reply(OutboundProbe& probe, const std::string& from, const std::string& payload) {
        ASSERT_TRUE(probe.on_receive);
        probe.on_receive(
            std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
            *Endpoint::parse(from));
    }

    boost::asio::io_context io;
    bool refuse = false;
    std::vector<UdpFlow> flows;
    std::vector<std::shared_ptr<OutboundProbe>> probes;
    std::vector<Written> written;
};

TEST_F(UdpSessionTableTest, OneSessionPerFlowSendingToTheRemote) {
    auto table = make_table();
    send_from_app(table, "198.18.0.1:4000", "198.18.3.4:53", "one");
    send_from_app(table, "198.18.0.1:4000", "198.18.3.4:53", "two");
    send_from_app(table, "198.18.0.1:4001", "198.18.3.4:53", "other source port");
    ASSERT_EQ(probes.size(), 2u);
    EXPECT_EQ(table.size(), 2u);
    EXPECT_EQ(flows[0].source, *Endpoint::parse("198.18.0.1:4000"));
    EXPECT_EQ(flows[0].destination, *Endpoint::parse("198.18.3.4:53"));
    ASSERT_EQ(probes[0]->sent.size(), 2u);
    EXPECT_EQ(probes[0]->sent[1].payload, "two");
    EXPECT_EQ(probes[0]->sent[1].to, *Endpoint::parse("10.0.0.53:5353"));
    EXPECT_EQ(table.counters().sessions_opened, 2u);
    EXPECT_EQ(table.counters().packets_out, 3u);
    EXPECT_EQ(table.counters().bytes_out, 3u + 3u + 17u);
}

// The flow registry lists a session while it lives, with its bytes each way, and closes
// it (the REST API's DELETE /connections/ID); a refused flow is never listed.
TEST_F(UdpSessionTableTest, TheRegistryListsEachSessionWithItsBytesAndClosesIt) {
    flow::FlowRegistry registry;
    auto table = make_table({}, &registry);
    send_from_app(table, "198.18.0.1:4000", "198.18.3.4:53", "query");
    ASSERT_EQ(probes.size(), 1u);
    reply(*probes[0], "10.0.0.53:5353", "answer!");
    auto listed = registry.list();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].network, rules::Network::udp);
    EXPECT_EQ(listed[0].destination, *Endpoint::parse("198.18.3.4:53"));
    EXPECT_EQ(listed[0].upload, 5u);
    EXPECT_EQ(listed[0].download, 7u);

    EXPECT_TRUE(registry.close(listed[0].id));
    EXPECT_EQ(table.size(), 0u);
    EXPECT_TRUE(probes[0]->closed);
    EXPECT_EQ(registry.size(), 0u);
    EXPECT_FALSE(registry.close(listed[0].id)) << "closed twice";
    EXPECT_EQ(registry.totals().upload, 5u);
    EXPECT_EQ(registry.totals().download, 7u);

    refuse = true;
    send_from_app(table, "198.18.0.1:4001", "198.18.3.4:53", "refused");
    EXPECT_EQ(registry.size(), 0u);
    EXPECT_EQ(registry.totals().flows, 1u);
}

TEST_F(UdpSessionTableTest, RepliesFromTheRemoteCarryTheFakeSourceOthersTheirOwn) {
    auto table = make_table();
    send_from_app(table, "198.18.0.1:4000", "198.18.3.4:53", "query");
    reply(*probes[0], "10.0.0.53:5353", "answer");
    reply(*probes[0], "10.0.0.99:7777", "full cone");
    ASSERT_EQ(written.size(), 2u);
    EXPECT_EQ(written[0].source, *Endpoint::parse("198.18.3.4:53"));
    EXPECT_EQ(written[0].destination, *Endpoint::parse("198.18.0.1:4000"));
    EXPECT_EQ(written[0].payload, "answer");
    EXPECT_EQ(written[1].source, *Endpoint::parse("10.0.0.99:7777"));
    EXPECT_EQ(table.counters().packets_in, 2u);
    EXPECT_EQ(table.counters().bytes_in, 6u + 9u);
    // A reply of the other family cannot reach an IPv4 application.
    reply(*probes[0], "[fd00::1]:1", "v6");
    EXPECT_EQ(written.size(), 2u);
    EXPECT_EQ(table.counters().dropped(UdpDropReason::reply_family), 1u);
}

TEST_F(UdpSessionTableTest, CapClosesTheLeastRecentlyUsed) {
    auto table = make_table({std::chrono::seconds(60), 2});
    send_from_app(table, "198.18.0.1:1", "198.18.9.9:1", "a");
    send_from_app(table, "198.18.0.1:2", "198.18.9.9:1", "b");
    // A reply refreshes flow 1: flow 2 is now the least recently used.
    reply(*probes[0], "198.18.9.9:1", "a reply");
    send_from_app(table, "198.18.0.1:3", "198.18.9.9:1", "c");
    EXPECT_EQ(table.size(), 2u);
    EXPECT_FALSE(probes[0]->closed);
    EXPECT_TRUE(probes[1]->closed);
    EXPECT_FALSE(probes[2]->closed);
    EXPECT_EQ(table.counters().sessions_evicted, 1u);
    EXPECT_EQ(table.counters().sessions_closed, 1u);
    // The evicted flow comes back as a new session, evicting flow 1 in turn.
    send_from_app(table, "198.18.0.1:2", "198.18.9.9:1", "b again");
    EXPECT_EQ(probes.size(), 4u);
    EXPECT_TRUE(probes[0]->closed);
    EXPECT_EQ(table.counters().sessions_evicted, 2u);
}

TEST_F(UdpSessionTableTest, IdleSessionsCloseAndTrafficKeepsThemOpen) {
    auto table = make_table({std::chrono::milliseconds(150), 16});
    send_from_app(table, "198.18.0.1:1", "198.18.9.9:1", "quiet");
    send_from_app(table, "198.18.0.1:2", "198.18.9.9:1", "busy");
    for (int i = 0; i < 6; ++i) {
        io.run_for(std::chrono::milliseconds(50));
        io.restart();
        reply(*probes[1], "198.18.9.9:1", "keepalive");
    }
    EXPECT_TRUE(probes[0]->closed);
    EXPECT_FALSE(probes[1]->closed);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.counters().sessions_idle, 1u);
    io.run_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(probes[1]->closed);
    EXPECT_EQ(table.size(), 0u);
    EXPECT_EQ(table.counters().sessions_idle, 2u);
}

TEST_F(UdpSessionTableTest, RefusalsAndSendFailuresAreCounted) {
    auto table = make_table();
    refuse = true;
    send_from_app(table, "198.18.0.1:1", "198.18.9.9:1", "x");
    EXPECT_EQ(table.size(), 0u);
    EXPECT_EQ(table.counters().dropped(UdpDropReason::refused), 1u);
    refuse = false;
    send_from_app(table, "198.18.0.1:1", "198.18.9.9:1", "x");
    probes[0]->next_result = UdpSendResult::would_block;
    send_from_app(table, "198.18.0.1:1", "198.18.9.9:1", "x");
    probes[0]->next_result = UdpSendResult::failed;
    send_from_app(table, "198.18.0.1:1", "198.18.9.9:1", "x");
    EXPECT_EQ(table.counters().dropped(UdpDropReason::send_would_block), 1u);
    EXPECT_EQ(table.counters().dropped(UdpDropReason::send_failed), 1u);
    EXPECT_EQ(table.counters().packets_out, 1u);
    send_from_app(table, "198.18.0.1:1", "224.0.0.251:5353", "mdns");
    send_from_app(table, *Endpoint::parse("198.18.0.1:1"),
                  Endpoint{*IpAddress::parse("198.18.9.9"), 0}, "port 0");
    EXPECT_EQ(table.counters().dropped(UdpDropReason::multicast), 1u);
    EXPECT_EQ(table.counters().dropped(UdpDropReason::malformed), 1u);
    EXPECT_EQ(table.size(), 1u);
}

TEST_F(UdpSessionTableTest, OutboundErrorClosesOnlyThatSessionOnce) {
    auto table = make_table();
    send_from_app(table, "198.18.0.1:1", "198.18.9.9:1", "x");
    send_from_app(table, "198.18.0.1:2", "198.18.9.9:1", "y");
    auto on_error = probes[0]->on_error;
    on_error("socket gone");
    on_error("socket gone again");  // idempotent
    EXPECT_TRUE(probes[0]->closed);
    EXPECT_FALSE(probes[1]->closed);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.counters().sessions_closed, 1u);
    io.run_for(std::chrono::milliseconds(10));  // deferred destruction of the outbound
    table.close_all();
    EXPECT_TRUE(probes[1]->closed);
    EXPECT_EQ(table.counters().sessions_closed, 2u);
}

TEST_F(UdpSessionTableTest, Ipv6Flows) {
    auto table = make_table();
    send_from_app(table, "[fd00:5::1]:4000", "[fd00:5::9]:53", "v6");
    ASSERT_EQ(probes.size(), 1u);
    reply(*probes[0], "[fd00:5::9]:53", "v6 answer");
    ASSERT_EQ(written.size(), 1u);
    EXPECT_EQ(written[0].source, *Endpoint::parse("[fd00:5::9]:53"));
    EXPECT_EQ(written[0].destination, *Endpoint::parse("[fd00:5::1]:4000"));
}

}  // namespace
}  // namespace shunt::netstack

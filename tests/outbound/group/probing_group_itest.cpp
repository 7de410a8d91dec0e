// url-test and fallback groups probing through real SOCKS5 servers (microsocks) in the
// e2e server namespace, an nginx there as the probe URL, the group itself running in the
// client namespace: url-test picks the member that is not delayed (a delaying forwarder in
// front of the slow proxy: the kernel here has no netem), fallback skips a member that is
// down.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "outbound/group/probing_group.hpp"
#include "outbound/socks5/socks5_outbound.hpp"
#include "tests/support/delaying_forwarder.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/microsocks_server.hpp"
#include "tests/support/netns_thread.hpp"
#include "tests/support/nginx_server.hpp"

namespace shunt::outbound {
namespace {

using namespace std::chrono_literals;
using shunt::test::E2eTopology;

constexpr int kFastPort = 1081;
constexpr int kSlowPort = 1082;
constexpr int kDelayedPort = 1083;  // the slow proxy behind a delay

class ProbingGroupItest : public ::testing::Test {
  protected:
    std::shared_ptr<Outbound> socks(boost::asio::io_context& io, const std::string& name,
                                    int port) {
        Socks5Options options;
        options.name = name;
        options.server = topology_.server_v4();
        options.port = static_cast<std::uint16_t>(port);
        options.connect_timeout = 2s;
        return std::make_shared<Socks5Outbound>(io.get_executor(), options, nullptr);
    }

    ProbeOptions probe_options() const {
        ProbeOptions options;
        options.target = {E2eTopology::kWebV4, 80, "/"};
        options.interval = 300ms;
        options.timeout = 2s;
        options.tolerance = 50ms;
        return options;
    }

    // Runs the group in the client namespace until `rounds` probe rounds completed.
    void run_rounds(
        const std::function<std::shared_ptr<ProbingGroup>(boost::asio::io_context&)>& make,
        std::uint64_t rounds, std::string& selected,
        std::vector<ProbingGroup::MemberHealth>& health) {
        shunt::test::run_in_netns(topology_.client_ns(), [&] {
            boost::asio::io_context io;
            auto group = make(io);
            group->start_probing();
            const auto deadline = std::chrono::steady_clock::now() + 15s;
            while (group->rounds() < rounds && std::chrono::steady_clock::now() < deadline)
                io.run_for(20ms);
            selected = group->selected().name();
            health = group->health();
        });
    }

    E2eTopology topology_;
    shunt::test::NginxServer nginx_{topology_};
    shunt::test::MicrosocksServer fast_{{},
                                        {topology_.server_ns(), topology_.server_v4(), kFastPort}};
    shunt::test::MicrosocksServer slow_{{},
                                        {topology_.server_ns(), topology_.server_v4(), kSlowPort}};
};

TEST_F(ProbingGroupItest, UrlTestPicksTheMemberThatIsNotDelayed) {
    // Everything the slow proxy sends back waits 150 ms (this kernel has no sch_netem:
    // a forwarder in the server namespace adds the delay instead).
    shunt::test::DelayingForwarder delayed(topology_.server_ns(), topology_.server_v4(),
                                           kDelayedPort, topology_.server_v4(), kSlowPort, 150ms);
    std::string selected;
    std::vector<ProbingGroup::MemberHealth> health;
    // The slow member first: url-test must move away from it.
    run_rounds(
        [&](boost::asio::io_context& io) {
            return std::make_shared<ProbingGroup>(
                io.get_executor(), "auto", OutboundType::url_test,
                std::vector<std::shared_ptr<Outbound>>{socks(io, "slow", kDelayedPort),
                                                       socks(io, "fast", kFastPort)},
                probe_options());
        },
        2, selected, health);
    ASSERT_EQ(health.size(), 2U);
    EXPECT_TRUE(health[0].alive) << health[0].error;
    EXPECT_TRUE(health[1].alive) << health[1].error;
    EXPECT_GE(health[0].delay, 150ms) << "the netem delay must show";
    EXPECT_LT(health[1].delay, 100ms);
    EXPECT_EQ(selected, "fast");
}

TEST_F(ProbingGroupItest, FallbackSkipsAMemberThatIsDown) {
    std::string selected;
    std::vector<ProbingGroup::MemberHealth> health;
    run_rounds(
        [&](boost::asio::io_context& io) {
            // Nothing listens on 1090: the first member is down.
            return std::make_shared<ProbingGroup>(
                io.get_executor(), "backup", OutboundType::fallback,
                std::vector<std::shared_ptr<Outbound>>{socks(io, "down", 1090),
                                                       socks(io, "slow", kSlowPort),
                                                       socks(io, "fast", kFastPort)},
                probe_options());
        },
        1, selected, health);
    ASSERT_EQ(health.size(), 3U);
    EXPECT_FALSE(health[0].alive);
    EXPECT_FALSE(health[0].error.empty());
    EXPECT_TRUE(health[1].alive) << health[1].error;
    EXPECT_EQ(selected, "slow") << "the first member that works, in order";
}

}  // namespace
}  // namespace shunt::outbound

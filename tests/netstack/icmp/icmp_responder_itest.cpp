// `ping` through a real TUN device: echo requests to the fake-IP ranges are answered by
// IcmpResponder; a ping to an address routed into the TUN but outside the ranges gets
// nothing and is counted.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "netstack/icmp/icmp_responder.hpp"
#include "tests/netstack/packet/tun_test_loop.hpp"
#include "tests/support/child_process.hpp"

namespace shunt::netstack {
namespace {

class IcmpResponderItest : public ::testing::Test {
  protected:
    void SetUp() override {
        // A route into the TUN for an address the responder must not answer.
        const auto result = shunt::test::run_command(
            {"ip", "route", "add", "203.0.113.0/24", "dev", tun.device().name()},
            std::chrono::seconds(5), netns.name());
        ASSERT_EQ(result.exit_code, 0);
    }

    // Runs `ping` while driving the loop; its exit code.
    int ping(const std::vector<std::string>& arguments) {
        std::vector<std::string> argv = {"ping", "-n", "-c1", "-W1"};
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        shunt::test::ChildProcess child(argv, {netns.name(), "/dev/null", "/dev/null", {}});
        test::run_until(
            io, [&] { return !child.running(); }, std::chrono::seconds(4));
        const auto status = child.wait(std::chrono::milliseconds(100));
        return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
    }

    shunt::test::NetnsGuard netns;
    test::CapturingTun tun{"shunt-i0"};
    boost::asio::io_context io;
    IcmpResponder responder{{*Prefix::parse("198.18.0.0/15"), *Prefix::parse("fd00:5::/64")},
                            tun.writer()};
    test::TunReadLoop loop{
        io, tun.fd(), [this](const IpPacketView& packet) {
            if (packet.protocol == kProtocolIcmp || packet.protocol == kProtocolIcmpV6) {
                responder.handle_packet(packet);
            }
        }};
};

TEST_F(IcmpResponderItest, AnswersPingToFakeAddresses) {
    EXPECT_EQ(ping({"198.18.3.3"}), 0);
    EXPECT_EQ(ping({"-6", "fd00:5::3"}), 0);
    EXPECT_EQ(responder.counters().echo_replied, 2u);
}

TEST_F(IcmpResponderItest, IgnoresPingOutsideTheRanges) {
    EXPECT_NE(ping({"203.0.113.5"}), 0);
    EXPECT_EQ(responder.counters().echo_replied, 0u);
    EXPECT_EQ(responder.counters().echo_outside_ranges, 1u);
    EXPECT_EQ(responder.counters().dropped_v4[8], 1u);
}

}  // namespace
}  // namespace shunt::netstack

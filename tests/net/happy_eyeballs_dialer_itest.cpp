// The dialer against addresses that never answer: inside a namespace of the test's own,
// TEST-NET prefixes are routed into a TUN device nobody reads, where SYNs leave and vanish
// (a dummy device would do the same, but this kernel may lack the dummy module). That is the
// case happy eyeballs exists for (a broken IPv6 path) and the only way to reach the deadline.
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/happy_eyeballs_dialer.hpp"
#include "tests/net/dial_test_util.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/netns_guard.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;

constexpr const char* blackhole_v4 = "203.0.113.9";
constexpr const char* blackhole_v6 = "2001:db8:dead::1";

class HappyEyeballsBlackhole : public ::testing::Test {
  protected:
    void SetUp() override {
        ip({"tuntap", "add", "mode", "tun", "name", "sink0"});
        ip({"link", "set", "sink0", "up"});
        // Addresses give the SYNs a source; the routes send the TEST-NET prefixes to the sink.
        ip({"addr", "add", "10.254.0.1/24", "dev", "sink0"});
        ip({"-6", "addr", "add", "fd00:254::1/64", "dev", "sink0", "nodad"});
        ip({"route", "add", "203.0.113.0/24", "dev", "sink0"});
        ip({"-6", "route", "add", "2001:db8:dead::/48", "dev", "sink0"});
    }

    void ip(std::vector<std::string> args) {
        args.insert(args.begin(), {"ip", "-n", netns_.name()});
        const CommandResult result = run_command(args, 5s);
        ASSERT_EQ(result.exit_code, 0) << "ip command failed: " << args.back();
    }

    // Declared first: destroyed last, after every socket below is closed.
    NetnsGuard netns_{"shunt-he"};
    boost::asio::io_context io_;
};

TEST_F(HappyEyeballsBlackhole, SilentIpv6FirstFallsBackAfterOneAttemptDelay) {
    tcp::acceptor listener(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    HappyEyeballsOptions options;
    options.attempt_delay = 250ms;
    // Given v4 first: the dialer itself must put the (silent) IPv6 address first.
    const auto record = dial_and_wait(io_, {address_of("127.0.0.1"), address_of(blackhole_v6)},
                                      listener.local_endpoint().port(), options);
    ASSERT_EQ(record.calls, 1);
    ASSERT_FALSE(record.error) << record.reason;
    EXPECT_EQ(record.address, address_of("127.0.0.1"));
    // Waited for the v6 attempt's delay (so v6 went first), but not for any connect timeout.
    EXPECT_GE(as_ms(record.elapsed), 240ms);
    EXPECT_LT(as_ms(record.elapsed), 700ms);
}

TEST_F(HappyEyeballsBlackhole, DeadlineFailsWithTimedOutNamingEveryAttempt) {
    HappyEyeballsOptions options;
    options.attempt_delay = 100ms;
    options.deadline = 400ms;
    const auto record =
        dial_and_wait(io_, {address_of(blackhole_v4), address_of(blackhole_v6)}, 443, options);
    ASSERT_EQ(record.calls, 1);
    EXPECT_EQ(record.error, boost::asio::error::timed_out);
    EXPECT_EQ(record.reason,
              "connect [2001:db8:dead::1]:443: timed out; 203.0.113.9:443: timed out");
    EXPECT_FALSE(record.socket->is_open());
    EXPECT_GE(as_ms(record.elapsed), 390ms);
    EXPECT_LT(as_ms(record.elapsed), 900ms);
}

TEST_F(HappyEyeballsBlackhole, DeadlineBeforeLaterAttemptsCountsThemAsNotTried) {
    HappyEyeballsOptions options;
    options.attempt_delay = 1s;
    options.deadline = 150ms;
    const auto record = dial_and_wait(
        io_, {address_of(blackhole_v4), address_of("203.0.113.10"), address_of(blackhole_v6)}, 443,
        options);
    ASSERT_EQ(record.calls, 1);
    EXPECT_EQ(record.error, boost::asio::error::timed_out);
    EXPECT_EQ(record.reason, "connect [2001:db8:dead::1]:443: timed out; 2 more not tried");
}

TEST_F(HappyEyeballsBlackhole, CancelMidDialAbortsPromptlyAndReleasesEverything) {
    DialRecord record;
    std::weak_ptr<HappyEyeballsDialer> weak;
    const auto started = std::chrono::steady_clock::now();
    {
        HappyEyeballsOptions options;
        options.attempt_delay = 50ms;  // both attempts are in flight when cancel() comes
        auto dialer = HappyEyeballsDialer::create(io_.get_executor(), options);
        weak = dialer;
        dialer->start({address_of(blackhole_v4), address_of(blackhole_v6)}, 443,
                      recording_handler(record, started));
        auto timer = std::make_shared<boost::asio::steady_timer>(io_, 150ms);
        // The test holds only a weak pointer from here on, like a flow that was torn down.
        timer->async_wait([dialer, timer](boost::system::error_code) { dialer->cancel(); });
    }
    io_.run_for(3s);
    ASSERT_EQ(record.calls, 1);
    EXPECT_EQ(record.error, boost::asio::error::operation_aborted);
    EXPECT_FALSE(record.socket->is_open());
    EXPECT_GE(as_ms(record.elapsed), 140ms);
    EXPECT_LT(as_ms(record.elapsed), 600ms);
    // run_for returned early: nothing (no timer, no connect) was left behind.
    EXPECT_LT(as_ms(std::chrono::steady_clock::now() - started), 2s);
    EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace shunt::test

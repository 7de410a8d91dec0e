// The dialer against loopback only: success, refusal, ordering, hand-over on failure,
// cancellation and the options on the winning socket. The cases that need an address that
// never answers live in happy_eyeballs_dialer_itest.cpp (they need a network namespace).
#include "net/happy_eyeballs_dialer.hpp"

#include <unistd.h>

#include <memory>

#include <gtest/gtest.h>

#include "net/socket_options.hpp"
#include "tests/net/dial_test_util.hpp"
#include "tests/support/child_process.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;

// A listener on 127.0.0.1 with an ephemeral port; connections complete in the kernel's
// backlog, nothing needs to accept them.
class LoopbackListener {
  public:
    explicit LoopbackListener(boost::asio::io_context& io)
        : acceptor_(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {}
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  private:
    tcp::acceptor acceptor_;
};

TEST(HappyEyeballsOrder, PutsIpv6FirstAndInterleavesFamilies) {
    const auto ordered = HappyEyeballsDialer::order_candidates(
        {address_of("192.0.2.1"), address_of("192.0.2.2"), address_of("192.0.2.3"),
         address_of("2001:db8::1"), address_of("2001:db8::2"), address_of("192.0.2.1")});
    const std::vector<IpAddress> expected = {address_of("2001:db8::1"), address_of("192.0.2.1"),
                                             address_of("2001:db8::2"), address_of("192.0.2.2"),
                                             address_of("192.0.2.3")};
    EXPECT_EQ(ordered, expected);
}

TEST(HappyEyeballsOrder, SingleFamilyKeepsGivenOrder) {
    const std::vector<IpAddress> v4_only = {address_of("192.0.2.9"), address_of("192.0.2.1")};
    EXPECT_EQ(HappyEyeballsDialer::order_candidates(v4_only), v4_only);
}

TEST(HappyEyeballsDialer, ConnectsToListeningLoopbackPort) {
    boost::asio::io_context io;
    LoopbackListener listener(io);
    const auto record = dial_and_wait(io, {address_of("127.0.0.1")}, listener.port(), {});
    ASSERT_EQ(record.calls, 1);
    EXPECT_FALSE(record.error) << record.error.message() << " " << record.reason;
    EXPECT_EQ(record.address, address_of("127.0.0.1"));
    EXPECT_TRUE(record.reason.empty());
    ASSERT_TRUE(record.socket && record.socket->is_open());
    EXPECT_EQ(record.socket->remote_endpoint().port(), listener.port());
}

TEST(HappyEyeballsDialer, RefusedPortFailsQuicklyWithReason) {
    boost::asio::io_context io;
    const auto port = static_cast<std::uint16_t>(free_port());
    const auto record = dial_and_wait(io, {address_of("127.0.0.1")}, port, {});
    ASSERT_EQ(record.calls, 1);
    EXPECT_EQ(record.error, boost::asio::error::connection_refused);
    EXPECT_EQ(record.reason, "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
    EXPECT_FALSE(record.socket->is_open());
    EXPECT_LT(as_ms(record.elapsed), 200ms);
}

TEST(HappyEyeballsDialer, FailedIpv6AttemptHandsOverWithoutWaitingTheDelay) {
    boost::asio::io_context io;
    LoopbackListener listener(io);  // 127.0.0.1 only: [::1] on the same port refuses
    HappyEyeballsOptions options;
    options.attempt_delay = 2s;  // the dial must not wait for it
    const auto record =
        dial_and_wait(io, {address_of("127.0.0.1"), address_of("::1")}, listener.port(), options);
    ASSERT_EQ(record.calls, 1);
    EXPECT_FALSE(record.error) << record.reason;
    EXPECT_EQ(record.address, address_of("127.0.0.1"));
    EXPECT_LT(as_ms(record.elapsed), 500ms);
}

TEST(HappyEyeballsDialer, AllRefusedListsEveryAttemptInOrder) {
    boost::asio::io_context io;
    const auto port = static_cast<std::uint16_t>(free_port());
    const auto record = dial_and_wait(io, {address_of("127.0.0.1"), address_of("::1")}, port, {});
    ASSERT_EQ(record.calls, 1);
    EXPECT_EQ(record.error, boost::asio::error::connection_refused);
    const std::string p = std::to_string(port);
    // [::1] first (IPv6 first), then 127.0.0.1; [::1] refuses, or fails to open without IPv6.
    EXPECT_EQ(record.reason.rfind("connect [::1]:" + p + ": ", 0), 0u) << record.reason;
    const std::string v4_part = "; 127.0.0.1:" + p + ": Connection refused";
    EXPECT_EQ(
        record.reason.substr(record.reason.size() - std::min(record.reason.size(), v4_part.size())),
        v4_part);
}

TEST(HappyEyeballsDialer, EmptyCandidateListFailsWithHostNotFound) {
    boost::asio::io_context io;
    const auto record = dial_and_wait(io, {}, 443, {});
    ASSERT_EQ(record.calls, 1);
    EXPECT_EQ(record.error, boost::asio::error::host_not_found);
    EXPECT_FALSE(record.reason.empty());
}

TEST(HappyEyeballsDialer, HandlerNeverRunsInsideStart) {
    boost::asio::io_context io;
    DialRecord record;
    auto dialer = HappyEyeballsDialer::create(io.get_executor());
    dialer->start({}, 443, recording_handler(record, std::chrono::steady_clock::now()));
    EXPECT_EQ(record.calls, 0);
    io.run_for(1s);
    EXPECT_EQ(record.calls, 1);
}

TEST(HappyEyeballsDialer, CancelAbortsInFlightDialAndReleasesTheDialer) {
    boost::asio::io_context io;
    LoopbackListener listener(io);
    DialRecord record;
    std::weak_ptr<HappyEyeballsDialer> weak;
    {
        auto dialer = HappyEyeballsDialer::create(io.get_executor());
        weak = dialer;
        dialer->start({address_of("127.0.0.1")}, listener.port(),
                      recording_handler(record, std::chrono::steady_clock::now()));
        dialer->cancel();  // before the connect's completion could run
        dialer->cancel();  // twice is harmless
    }
    io.run_for(1s);
    ASSERT_EQ(record.calls, 1);
    EXPECT_EQ(record.error, boost::asio::error::operation_aborted);
    EXPECT_FALSE(record.socket->is_open());
    EXPECT_TRUE(weak.expired());
}

TEST(HappyEyeballsDialer, CancelAfterCompletionIsHarmless) {
    boost::asio::io_context io;
    LoopbackListener listener(io);
    DialRecord record;
    auto dialer = HappyEyeballsDialer::create(io.get_executor());
    dialer->start({address_of("127.0.0.1")}, listener.port(),
                  recording_handler(record, std::chrono::steady_clock::now()));
    io.run_for(1s);
    ASSERT_EQ(record.calls, 1);
    dialer->cancel();
    io.restart();
    io.run_for(100ms);
    EXPECT_EQ(record.calls, 1);
    EXPECT_FALSE(record.error);
    EXPECT_TRUE(record.socket->is_open());
}

TEST(HappyEyeballsDialer, CancelBeforeStartAbortsTheStart) {
    boost::asio::io_context io;
    DialRecord record;
    auto dialer = HappyEyeballsDialer::create(io.get_executor());
    dialer->cancel();
    dialer->start({address_of("127.0.0.1")}, 9,
                  recording_handler(record, std::chrono::steady_clock::now()));
    io.run_for(1s);
    ASSERT_EQ(record.calls, 1);
    EXPECT_EQ(record.error, boost::asio::error::operation_aborted);
}

TEST(HappyEyeballsDialer, WinningSocketHasRoutingMarkAndNoDelay) {
    if (::geteuid() != 0) GTEST_SKIP() << "SO_MARK needs CAP_NET_ADMIN";
    boost::asio::io_context io;
    LoopbackListener listener(io);
    HappyEyeballsOptions options;
    options.routing_mark = 0x5348;
    auto record = dial_and_wait(io, {address_of("127.0.0.1")}, listener.port(), options);
    ASSERT_EQ(record.calls, 1);
    ASSERT_FALSE(record.error) << record.reason;
    const int fd = record.socket->native_handle();
    EXPECT_EQ(read_routing_mark(fd), std::optional<std::uint32_t>(0x5348));
    EXPECT_EQ(tcp_nodelay_of(fd), 1);
}

TEST(HappyEyeballsDialer, MarkZeroLeavesSocketUnmarked) {
    boost::asio::io_context io;
    LoopbackListener listener(io);
    auto record = dial_and_wait(io, {address_of("127.0.0.1")}, listener.port(), {});
    ASSERT_FALSE(record.error) << record.reason;
    EXPECT_EQ(read_routing_mark(record.socket->native_handle()), std::optional<std::uint32_t>(0));
    EXPECT_EQ(tcp_nodelay_of(record.socket->native_handle()), 1);
}

}  // namespace
}  // namespace shunt::test

// ReceiveWindow's growth rule (docs/mux.md, "Window growth"), on a synthetic clock.
#include <gtest/gtest.h>

#include "outbound/mux/session/receive_window.hpp"
#include "outbound/mux/session/rtt_estimator.hpp"

namespace shunt::outbound::mux {
namespace {

using namespace std::chrono_literals;
using Clock = ReceiveWindow::Clock;

constexpr std::uint32_t kInitial = 256 * 1024;
constexpr std::uint32_t kMax = 16 * 1024 * 1024;
constexpr std::size_t kBudget = 32 * 1024 * 1024;

TEST(ReceiveWindow, DoublesWhenHalfAWindowIsConsumedWithinOneRoundTrip) {
    const auto t0 = Clock::now();
    ReceiveWindow window(kInitial, kMax, t0);
    EXPECT_FALSE(window.update_due(kInitial / 2 - 1));
    EXPECT_TRUE(window.update_due(kInitial / 2));
    // Half the window in 0.95 RTT: under 2 * RTT * 1/2.
    EXPECT_EQ(window.on_update(t0 + 95ms, kInitial / 2, 100ms, kBudget), kInitial);
    EXPECT_EQ(window.size(), 2 * kInitial);
    EXPECT_EQ(window.grown(), kInitial);
    EXPECT_TRUE(window.update_due(kInitial));  // the threshold follows the window
    EXPECT_FALSE(window.update_due(kInitial - 1));
}

TEST(ReceiveWindow, ASlowConsumerNeverGrowsItsWindow) {
    auto now = Clock::now();
    ReceiveWindow window(kInitial, kMax, now);
    for (int i = 0; i < 100; ++i) {
        now += 105ms;  // half a window per 1.05 RTT: the consumer, not the window, limits
        EXPECT_EQ(window.on_update(now, kInitial / 2, 100ms, kBudget), 0u);
    }
    EXPECT_EQ(window.size(), kInitial);
}

TEST(ReceiveWindow, StopsAtTheMaximumAndWithinTheBudget) {
    auto now = Clock::now();
    ReceiveWindow window(kInitial, kMax, now);
    std::uint64_t granted_growth = 0;
    for (int i = 0; i < 20; ++i) {
        now += 1ms;
        granted_growth += window.on_update(now, window.size() / 2, 100ms, kBudget);
    }
    EXPECT_EQ(window.size(), kMax);
    EXPECT_EQ(granted_growth, kMax - kInitial);

    ReceiveWindow tight(kInitial, kMax, now);
    EXPECT_EQ(tight.on_update(now + 1ms, kInitial / 2, 100ms, kInitial - 1), 0u)
        << "growth the carrier's budget cannot cover";
    EXPECT_EQ(tight.on_update(now + 2ms, kInitial / 2, 100ms, kInitial), kInitial);
}

TEST(ReceiveWindow, NoRoundTripSampleNoGrowth) {
    const auto t0 = Clock::now();
    ReceiveWindow window(kInitial, kMax, t0);
    EXPECT_EQ(window.on_update(t0 + 1ms, kInitial / 2, Clock::duration::zero(), kBudget), 0u);
    EXPECT_EQ(window.size(), kInitial);
}

TEST(RttEstimator, OnlyThePongOfTheOutstandingProbeIsASample) {
    RttEstimator rtt;
    const auto t0 = Clock::now();
    EXPECT_TRUE(rtt.wants_probe(t0, 5s));
    const auto first = rtt.start_probe(t0);
    EXPECT_FALSE(rtt.wants_probe(t0, 5s)) << "one probe at a time";
    const auto second = rtt.start_probe(t0 + 10ms);  // a keepalive replaced it
    EXPECT_FALSE(rtt.on_pong(first, t0 + 20ms)) << "the earlier PING's PONG";
    EXPECT_TRUE(rtt.on_pong(second, t0 + 110ms));
    EXPECT_EQ(rtt.smoothed(), 100ms);
    EXPECT_FALSE(rtt.on_pong(second, t0 + 120ms)) << "answered already";
    const auto third = rtt.start_probe(t0 + 1s);
    EXPECT_TRUE(rtt.on_pong(third, t0 + 1s + 180ms));
    EXPECT_EQ(rtt.smoothed(), 110ms);  // 7/8 * 100 + 1/8 * 180
    EXPECT_EQ(rtt.minimum(), 100ms);   // the queue-free round trip
    const auto fourth = rtt.start_probe(t0 + 2s);
    EXPECT_TRUE(rtt.on_pong(fourth, t0 + 2s + 60ms));
    EXPECT_EQ(rtt.minimum(), 60ms);
    EXPECT_FALSE(rtt.wants_probe(t0 + 3s, 5s));
    EXPECT_TRUE(rtt.wants_probe(t0 + 8s, 5s));
}

}  // namespace
}  // namespace shunt::outbound::mux

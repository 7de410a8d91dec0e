// LogRateLimit: one line per interval, and the next line knows how many it stands for.
#include <gtest/gtest.h>

#include "base/log_rate_limit.hpp"

namespace shunt {
namespace {

using namespace std::chrono_literals;

TEST(LogRateLimit, OneLinePerIntervalCountingWhatItSkipped) {
    LogRateLimit limit(1s);
    const auto t0 = LogRateLimit::Clock::now();
    EXPECT_EQ(limit.admit(t0), 0U) << "the first occurrence is logged";
    for (int i = 1; i <= 500; ++i) EXPECT_FALSE(limit.admit(t0 + i * 1ms));
    EXPECT_EQ(limit.admit(t0 + 1s), 500U);
    EXPECT_FALSE(limit.admit(t0 + 1500ms));
    EXPECT_EQ(limit.admit(t0 + 2s), 1U);
    EXPECT_EQ(limit.admit(t0 + 10s), 0U) << "a quiet spell logs the next one at once";
}

}  // namespace
}  // namespace shunt

// DelayHistory: the last 10 results per outbound and per URL, at most 8 URLs, failures as
// delay 0 and alive false, and a 0-ms answer shown as 1 ms (0 reads as a failure).
#include "api/delay_history.hpp"

#include <gtest/gtest.h>

namespace shunt::api {
namespace {

using std::chrono::milliseconds;

TEST(DelayHistory, KeepsTheLastTenAndAliveFollowsTheLastResult) {
    DelayHistory history;
    EXPECT_TRUE(history.alive("a")) << "before any test";
    EXPECT_TRUE(history.history_json("a").empty());
    for (int i = 1; i <= 12; ++i) history.record("a", "http://x/", milliseconds(i * 10));
    const auto kept = history.history_json("a");
    ASSERT_EQ(kept.size(), 10u);
    EXPECT_EQ(kept.front().at("delay"), 30);
    EXPECT_EQ(kept.back().at("delay"), 120);
    history.record("a", "http://x/", std::nullopt);
    EXPECT_FALSE(history.alive("a"));
    EXPECT_EQ(history.history_json("a").back().at("delay"), 0);
    history.record("a", "http://x/", milliseconds(0));
    EXPECT_EQ(history.history_json("a").back().at("delay"), 1);
    EXPECT_TRUE(history.alive("a"));
}

TEST(DelayHistory, ExtraHoldsEightUrlsAtMost) {
    DelayHistory history;
    for (int i = 0; i < 20; ++i)
        history.record("a", "http://h" + std::to_string(i) + "/", milliseconds(5));
    history.record("a", "http://h19/", std::nullopt);
    const auto extra = history.extra_json("a");
    EXPECT_EQ(extra.size(), DelayHistory::kUrls);
    EXPECT_TRUE(extra.contains("http://h19/"));
    EXPECT_FALSE(extra.contains("http://h0/"));
    EXPECT_EQ(extra.at("http://h19/").at("alive"), false);
    EXPECT_EQ(extra.at("http://h19/").at("history").as_array().size(), 2u);
    EXPECT_TRUE(history.extra_json("b").empty());
}

}  // namespace
}  // namespace shunt::api

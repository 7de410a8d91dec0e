// MessageQueue: a stream subscriber's bounded queue — the oldest message goes first when
// it is full (by count or bytes), drops are counted and announced once, and the waker
// runs only for a push into an empty queue.
#include "api/message_queue.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace shunt::api {
namespace {

TEST(MessageQueue, AFullQueueDropsItsOldestMessages) {
    MessageQueue queue({3, 1 << 20});
    for (int i = 0; i < 5; ++i) queue.push(std::to_string(i));
    EXPECT_EQ(queue.take(), (std::vector<std::string>{"2", "3", "4"}));
    EXPECT_EQ(queue.dropped(), 2u);
    EXPECT_TRUE(queue.take().empty());
}

TEST(MessageQueue, TheByteLimitDropsTooButKeepsTheNewestMessage) {
    MessageQueue queue({100, 10});
    queue.push("aaaa");
    queue.push("bbbb");
    queue.push("cccc");  // 12 bytes: "aaaa" goes
    EXPECT_EQ(queue.take(), (std::vector<std::string>{"bbbb", "cccc"}));
    queue.push(std::string(50, 'x'));  // alone over the limit: still delivered
    EXPECT_EQ(queue.take().size(), 1u);
}

TEST(MessageQueue, DropsAreAnnouncedOnceBeforeTheNextMessages) {
    MessageQueue queue({1, 1 << 20},
                       [](std::uint64_t n) { return "dropped " + std::to_string(n); });
    queue.push("a");
    queue.push("b");
    queue.push("c");
    EXPECT_EQ(queue.take(), (std::vector<std::string>{"dropped 2", "c"}));
    queue.push("d");
    EXPECT_EQ(queue.take(), (std::vector<std::string>{"d"}));
    EXPECT_EQ(queue.dropped(), 2u);
}

TEST(MessageQueue, TheWakerRunsForAPushIntoAnEmptyQueueOnly) {
    MessageQueue queue({8, 1 << 20});
    int wakes = 0;
    queue.set_waker([&] { ++wakes; });
    queue.push("a");
    queue.push("b");
    EXPECT_EQ(wakes, 1);
    queue.take();
    queue.push("c");
    EXPECT_EQ(wakes, 2);
}

TEST(MessageQueue, ProducersOnOtherThreadsNeverExceedTheBound) {
    MessageQueue queue({16, 1 << 20});
    std::vector<std::thread> producers;
    for (int t = 0; t < 4; ++t)
        producers.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) queue.push("line");
        });
    std::size_t taken = 0;
    for (int i = 0; i < 1000; ++i) {
        const auto batch = queue.take();
        EXPECT_LE(batch.size(), 16u);
        taken += batch.size();
    }
    for (auto& p : producers) p.join();
    taken += queue.take().size();
    EXPECT_EQ(taken + queue.dropped(), 40000u);
}

}  // namespace
}  // namespace shunt::api

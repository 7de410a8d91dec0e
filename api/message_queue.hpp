// MessageQueue: what one stream subscriber (a dashboard's WebSocket, a chunked /traffic
// reader) has yet to be sent. Producers — the 1-s sampler, a connections ticker, the
// logger — push without ever waiting; a full queue drops its oldest message and counts
// it, so a stalled client costs a bounded amount of memory and never slows shunt
// (docs/api.md §3). Thread-safe: log lines may come from any thread; the stream session
// takes messages on the loop, woken by the waker it installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace shunt::api {

class MessageQueue {
  public:
    struct Limits {
        std::size_t messages = 16;
        std::size_t bytes = 1 << 20;
    };
    // What to send first after `dropped` messages were lost ("" sends nothing).
    using DropNotice = std::function<std::string(std::uint64_t dropped)>;

    explicit MessageQueue(Limits limits, DropNotice notice = nullptr)
        : limits_(limits), notice_(std::move(notice)) {}

    // Any thread. Calls the waker (outside the lock) when the queue was empty.
    void push(std::string message);
    // Every pending message, oldest first, led by the drop notice when messages were lost
    // since the last take.
    std::vector<std::string> take();
    // Called after a push into an empty queue; may run on the producer's thread.
    void set_waker(std::function<void()> waker);
    std::uint64_t dropped() const;

  private:
    const Limits limits_;
    const DropNotice notice_;
    mutable std::mutex mutex_;
    std::deque<std::string> messages_;
    std::size_t bytes_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t dropped_unreported_ = 0;
    std::function<void()> waker_;
};

// What a streaming response sends: its queue, and what feeds it (a timer, a subscription),
// kept alive exactly as long as the stream (releasing it unsubscribes).
struct StreamFeed {
    std::shared_ptr<MessageQueue> queue;
    std::shared_ptr<void> producer;
};

}  // namespace shunt::api

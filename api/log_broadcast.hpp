// LogBroadcast: shunt's log lines for /logs subscribers (docs/api.md §2.7). A spdlog sink
// beside the terminal's: each line at or above a subscriber's level goes into that
// subscriber's queue as {"type":"warning","payload":"..."} — 512 lines or 256 KiB at most
// per subscriber, the oldest dropped first and announced to it, so a stalled dashboard
// never slows logging. Lines come from whatever thread logs; the queues are thread-safe.
#pragma once

#include <list>
#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

#include "api/message_queue.hpp"
#include "base/logging.hpp"

namespace shunt::api {

class LogBroadcast final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    // A feed of the lines at or above `level` until it is released.
    StreamFeed subscribe(LogLevel level);

    // Adds this sink to the default logger / takes it off again.
    static void attach(const std::shared_ptr<LogBroadcast>& sink);
    static void detach(const std::shared_ptr<LogBroadcast>& sink);

  protected:
    void sink_it_(const spdlog::details::log_msg& message) override;
    void flush_() override {}

  private:
    struct Subscriber {
        LogLevel level;
        std::weak_ptr<MessageQueue> queue;
    };
    std::mutex subscribers_mutex_;  // subscribe() runs on the loop, sink_it_ anywhere
    std::list<Subscriber> subscribers_;
};

}  // namespace shunt::api

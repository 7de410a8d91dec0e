// LogRateLimit: at most one log line per interval for an event that can repeat without
// bound (a flood of refused connections, a full table), with the number of occurrences
// the skipped lines would have reported, so the log stays readable and loses no count.
//
//   if (auto skipped = limit.admit()) spdlog::warn("... ({} more since the last line)", *skipped);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace shunt {

class LogRateLimit {
  public:
    using Clock = std::chrono::steady_clock;

    explicit LogRateLimit(Clock::duration interval) : interval_(interval) {}

    // One occurrence. When a line may be written now: how many occurrences were not
    // logged since the last line; otherwise nothing (this one is counted).
    std::optional<std::uint64_t> admit(Clock::time_point now = Clock::now()) {
        if (logged_once_ && now - last_ < interval_) {
            ++skipped_;
            return std::nullopt;
        }
        logged_once_ = true;
        last_ = now;
        const std::uint64_t skipped = skipped_;
        skipped_ = 0;
        return skipped;
    }

  private:
    Clock::duration interval_;
    Clock::time_point last_{};
    bool logged_once_ = false;
    std::uint64_t skipped_ = 0;
};

}  // namespace shunt

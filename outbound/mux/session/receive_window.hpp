// ReceiveWindow: how much credit one direction of a stream gets, and when it grows
// (docs/mux.md, "Window growth"). Every stream starts at the initial window (256 KiB);
// a fixed window caps a stream at window / RTT — 2.6 MB/s at 100 ms, far below a WAN
// link — so the receiver doubles it whenever its consumer took the data so fast that
// the window, not the consumer, is what limits the sender: a window's worth consumed in
// under two round trips of the path (its minimum RTT). So a window stops near twice the
// path's bandwidth-delay product: enough to fill it, never so much that a bulk stream
// queues seconds ahead of the others on a slow link. A slow consumer never grows its
// window (memory stays where the data cannot leave), and the carrier hands out growth
// from a budget, so all grown windows together stay within the session cap.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace shunt::outbound::mux {

class ReceiveWindow {
  public:
    using Clock = std::chrono::steady_clock;

    ReceiveWindow() = default;
    ReceiveWindow(std::uint32_t initial, std::uint32_t max, Clock::time_point now)
        : size_(initial), initial_(initial), max_(max), epoch_(now) {}

    std::uint32_t size() const { return size_; }
    // Bytes this window has grown beyond the initial one (the carrier's budget holds them).
    std::uint32_t grown() const { return size_ - initial_; }
    // An update is due once half the window was consumed since the last one.
    bool update_due(std::uint64_t consumed_unreported) const {
        return consumed_unreported >= size_ / 2;
    }

    // An update returning `consumed` bytes goes out now. Returns the extra credit to grant
    // with it (the window's growth, 0 if it does not grow): the window doubles when
    // `consumed` took less than 2 * (consumed / size) round trips `rtt` (the path's
    // minimum), there is one, the maximum is not reached and `budget` (bytes of growth
    // the carrier still allows) covers it. Starts the next measuring epoch.
    std::uint32_t on_update(Clock::time_point now, std::uint64_t consumed, Clock::duration rtt,
                            std::size_t budget) {
        const auto elapsed = now - epoch_;
        epoch_ = now;
        if (rtt <= Clock::duration::zero() || size_ >= max_ || consumed == 0) return 0;
        const std::uint32_t extra = std::min(size_, max_ - size_);
        if (extra > budget) return 0;
        // elapsed < 2 * rtt * consumed / size, in integers (no float rounding at the edge).
        const auto limit =
            rtt * 2 * static_cast<std::int64_t>(consumed) / static_cast<std::int64_t>(size_);
        if (elapsed >= limit) return 0;
        size_ += extra;
        return extra;
    }

  private:
    std::uint32_t size_ = 0;
    std::uint32_t initial_ = 0;
    std::uint32_t max_ = 0;
    Clock::time_point epoch_{};  // when the last update went out (or the stream began)
};

}  // namespace shunt::outbound::mux

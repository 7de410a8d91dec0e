// RttEstimator: the carrier's round-trip time, from its own PINGs (docs/mux.md, "Window
// growth"). One probe is outstanding at a time; its 8 random bytes identify the PONG, so
// a late PONG of an earlier PING gives no sample. Smoothed like TCP's SRTT (7/8 old,
// 1/8 new), and the minimum: window growth uses the minimum, the path's round trip
// without the queues the carrier's own traffic builds (a smoothed RTT that includes them
// would grow windows, which lengthens the queues, which grows windows...). Keepalive
// PINGs and one at carrier start feed it.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <span>

#include <openssl/rand.h>

namespace shunt::outbound::mux {

class RttEstimator {
  public:
    using Clock = std::chrono::steady_clock;
    using Payload = std::array<std::uint8_t, 8>;

    // A new probe: the payload to send in a PING now.
    Payload start_probe(Clock::time_point now) {
        RAND_bytes(probe_.data(), static_cast<int>(probe_.size()));
        probe_sent_ = now;
        probing_ = true;
        return probe_;
    }
    // A PONG arrived; true when it answered the outstanding probe (a sample was taken).
    bool on_pong(std::span<const std::uint8_t> payload, Clock::time_point now) {
        if (!probing_ || payload.size() != probe_.size() ||
            !std::equal(payload.begin(), payload.end(), probe_.begin()))
            return false;
        probing_ = false;
        const auto sample = now - probe_sent_;
        smoothed_ = smoothed_ == Clock::duration::zero() ? sample : (smoothed_ * 7 + sample) / 8;
        minimum_ = minimum_ == Clock::duration::zero() ? sample : std::min(minimum_, sample);
        last_sample_ = now;
        return true;
    }
    // Zero until the first sample.
    Clock::duration smoothed() const { return smoothed_; }
    // The lowest sample of the carrier's life; zero until the first.
    Clock::duration minimum() const { return minimum_; }
    // A new probe is worth sending: none outstanding and no sample for `age`.
    bool wants_probe(Clock::time_point now, Clock::duration age) const {
        return !probing_ && (smoothed_ == Clock::duration::zero() || now - last_sample_ >= age);
    }

  private:
    Payload probe_{};
    bool probing_ = false;
    Clock::time_point probe_sent_{};
    Clock::time_point last_sample_{};
    Clock::duration smoothed_{};
    Clock::duration minimum_{};
};

}  // namespace shunt::outbound::mux

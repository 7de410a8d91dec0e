// StreamRelay: copies bytes both ways between two Streams until both directions ended —
// the mux server's relay between a stream and the target's socket. Each direction reads
// only what it can write next (one buffer in flight per direction, allocated while the
// relay lives), so a slow side stops the other through its own flow control (TCP window
// or mux credit) instead of through our memory. EOF is passed on as a half-close; an
// error on either side aborts both (RST / RESET), so neither end takes a failure for an
// orderly finish.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "outbound/stream.hpp"

namespace shunt::outbound {

class StreamRelay : public std::enable_shared_from_this<StreamRelay> {
  public:
    enum class Outcome : std::uint8_t { finished, aborted };
    using DoneHandler = std::function<void(Outcome outcome, const std::string& reason)>;

    static std::shared_ptr<StreamRelay> start(std::unique_ptr<Stream> a, std::unique_ptr<Stream> b,
                                              DoneHandler done);
    // Aborts both sides (shutdown). Idempotent.
    void abort(const std::string& reason);

    std::uint64_t bytes_a_to_b() const { return ab_.bytes; }
    std::uint64_t bytes_b_to_a() const { return ba_.bytes; }

  private:
    struct Direction {
        Stream* from = nullptr;
        Stream* to = nullptr;
        std::vector<std::uint8_t> buffer;
        bool finished = false;
        std::uint64_t bytes = 0;
    };

    StreamRelay(std::unique_ptr<Stream> a, std::unique_ptr<Stream> b, DoneHandler done);
    void pump(Direction& direction);
    void on_readable(Direction& direction, const boost::system::error_code& ec);
    void finish(Outcome outcome, const std::string& reason);

    std::unique_ptr<Stream> a_;
    std::unique_ptr<Stream> b_;
    DoneHandler done_;
    Direction ab_;
    Direction ba_;
    bool ended_ = false;
};

}  // namespace shunt::outbound

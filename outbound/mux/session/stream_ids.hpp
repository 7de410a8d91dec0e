// StreamIdAllocator: the client's stream ids (docs/mux.md, "Ids"): 1..65535, one more
// than the last id given out, wrapping to 1, skipping ids still in use. An id is in use
// until the stream is closed at the client (its end sent and the server's end received),
// so a late frame of an old stream can never reach a new one.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>

namespace shunt::outbound::mux {

class StreamIdAllocator {
  public:
    static constexpr std::uint32_t kMaxStreams = 65535;

    // nullopt when all 65535 ids are in use.
    std::optional<std::uint16_t> allocate();
    // The stream is closed at both ends: its id may be given out again.
    void release(std::uint16_t id);
    bool in_use(std::uint16_t id) const { return used_.test(id); }
    std::uint32_t count() const { return count_; }

  private:
    std::bitset<65536> used_;  // bit 0 (the carrier) is never used
    std::uint16_t last_ = 0;
    std::uint32_t count_ = 0;
};

}  // namespace shunt::outbound::mux

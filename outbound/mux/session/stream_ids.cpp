#include "outbound/mux/session/stream_ids.hpp"

namespace shunt::outbound::mux {

std::optional<std::uint16_t> StreamIdAllocator::allocate() {
    if (count_ >= kMaxStreams) return std::nullopt;
    std::uint16_t id = last_;
    // Terminates: fewer than 65535 ids are in use, so a free one exists.
    do {
        id = id == 65535 ? 1 : static_cast<std::uint16_t>(id + 1);
    } while (used_.test(id));
    used_.set(id);
    last_ = id;
    ++count_;
    return id;
}

void StreamIdAllocator::release(std::uint16_t id) {
    if (id == 0 || !used_.test(id)) return;
    used_.reset(id);
    --count_;
}

}  // namespace shunt::outbound::mux

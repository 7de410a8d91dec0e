// ReceiveQueue: the bytes a stream received that its reader has not taken yet, in blocks
// of 16 KiB filled back to back. A DATA frame costs a copy into the tail block, never an
// allocation of its own, and the memory held is the bytes plus at most two partly used
// blocks: a peer that sends 1-byte frames holds no more than one that sends 32 KiB ones
// (a vector per frame made each byte cost ~50 in the allocator). An emptied queue frees
// its blocks, so an idle stream holds none.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>

namespace shunt::outbound::mux {

class ReceiveQueue {
  public:
    static constexpr std::size_t kBlockSize = 16 * 1024;

    void append(std::span<const std::uint8_t> bytes);
    // Copies up to into.size() bytes out, oldest first; returns how many.
    std::size_t read(std::span<std::uint8_t> into);
    void clear();

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::size_t blocks() const { return blocks_.size(); }

  private:
    using Block = std::array<std::uint8_t, kBlockSize>;
    std::deque<std::unique_ptr<Block>> blocks_;
    std::size_t head_ = 0;  // read offset in the front block
    std::size_t tail_ = 0;  // write offset in the back block
    std::size_t size_ = 0;
};

}  // namespace shunt::outbound::mux

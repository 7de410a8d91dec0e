#include "outbound/mux/session/receive_queue.hpp"

#include <algorithm>
#include <cstring>

namespace shunt::outbound::mux {

void ReceiveQueue::append(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
        if (blocks_.empty() || tail_ == kBlockSize) {
            blocks_.push_back(std::unique_ptr<Block>(new Block));  // not zeroed: written next
            tail_ = 0;
        }
        const std::size_t n = std::min(bytes.size(), kBlockSize - tail_);
        std::memcpy(blocks_.back()->data() + tail_, bytes.data(), n);
        tail_ += n;
        size_ += n;
        bytes = bytes.subspan(n);
    }
}

std::size_t ReceiveQueue::read(std::span<std::uint8_t> into) {
    std::size_t copied = 0;
    while (copied < into.size() && size_ > 0) {
        // The front block's readable end: the tail when it is also the back block.
        const std::size_t end = blocks_.size() == 1 ? tail_ : kBlockSize;
        const std::size_t n = std::min(into.size() - copied, end - head_);
        std::memcpy(into.data() + copied, blocks_.front()->data() + head_, n);
        copied += n;
        head_ += n;
        size_ -= n;
        if (head_ == end) {
            blocks_.pop_front();
            head_ = 0;
            if (blocks_.empty()) tail_ = 0;
        }
    }
    return copied;
}

void ReceiveQueue::clear() {
    blocks_.clear();
    head_ = 0;
    tail_ = 0;
    size_ = 0;
}

}  // namespace shunt::outbound::mux

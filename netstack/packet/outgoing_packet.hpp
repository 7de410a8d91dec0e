// OutgoingPacket: one IP packet on its way to the TUN device, in the parts lwIP's pbuf
// chain holds it (headers first), without copying it into one buffer. The packet owns one
// reference to the memory behind the parts and gives it back when it is destroyed: the
// writer may write it at once, or hold it (the GSO coalescer keeps a run of segments until
// the loop's burst of output ends) and drop it after the write.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace shunt::netstack {

class OutgoingPacket {
  public:
    static constexpr std::size_t kMaxParts = 8;
    using Part = std::span<const std::uint8_t>;
    using Release = void (*)(void* owner);

    OutgoingPacket() = default;
    // A copy of `bytes`, owned by the packet (tests; chains with more than kMaxParts).
    explicit OutgoingPacket(std::span<const std::uint8_t> bytes)
        : copy_(bytes.begin(), bytes.end()) {
        add_part(Part(copy_));
    }
    // Parts owned by `owner`; `release(owner)` runs once, when the packet is done with.
    OutgoingPacket(void* owner, Release release) : owner_(owner), release_(release) {}
    OutgoingPacket(OutgoingPacket&& other) noexcept { *this = std::move(other); }
    OutgoingPacket& operator=(OutgoingPacket&& other) noexcept {
        if (this == &other) return *this;
        reset();
        copy_ = std::move(other.copy_);
        parts_ = other.parts_;
        count_ = std::exchange(other.count_, 0);
        size_ = std::exchange(other.size_, 0);
        owner_ = std::exchange(other.owner_, nullptr);
        release_ = std::exchange(other.release_, nullptr);
        // A moved vector keeps its buffer, so the part pointing into it stays valid.
        return *this;
    }
    OutgoingPacket(const OutgoingPacket&) = delete;
    OutgoingPacket& operator=(const OutgoingPacket&) = delete;
    ~OutgoingPacket() { reset(); }

    // False when the packet already has kMaxParts parts.
    bool add_part(Part part) {
        if (count_ == kMaxParts) return false;
        parts_[count_++] = part;
        size_ += part.size();
        return true;
    }
    std::span<const Part> parts() const { return {parts_.data(), count_}; }
    std::size_t size() const { return size_; }
    // The first `length` bytes are in the first part (headers can be read in place).
    bool starts_with(std::size_t length) const { return count_ > 0 && parts_[0].size() >= length; }
    const std::uint8_t* data() const { return count_ > 0 ? parts_[0].data() : nullptr; }

  private:
    void reset() {
        if (release_ != nullptr) release_(owner_);
        release_ = nullptr;
        owner_ = nullptr;
        count_ = 0;
        size_ = 0;
        copy_.clear();
    }

    std::vector<std::uint8_t> copy_;
    std::array<Part, kMaxParts> parts_{};
    std::size_t count_ = 0;
    std::size_t size_ = 0;
    void* owner_ = nullptr;
    Release release_ = nullptr;
};

}  // namespace shunt::netstack

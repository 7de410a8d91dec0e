// The mappings of one address family: which name owns which address of the range, and
// their least-recently-used order. Not thread-safe and no I/O: FakeIpPool adds the lock
// and the store.
//
// Memory: a slot per address ever handed out, indexed by its offset in the range (so no
// address is stored), holding two 32-bit LRU links and the name once, length-prefixed;
// plus ~8-16 bytes of NameIndex. See docs/fake-ip-store.md for measured figures.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include "dns/pool/name_index.hpp"
#include "net/ip_address.hpp"

namespace shunt::dns {

class FamilyPool {
  public:
    // Offsets 0 (network) and 1 (the TUN gateway) and the last address are never used.
    static constexpr std::uint64_t kFirstOffset = 2;
    static constexpr std::uint64_t kReservedAddresses = 3;
    // Bounds the memory a huge (IPv6) range can take: at most this many mappings.
    static constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 20;

    // Throws std::invalid_argument for a range of fewer than 4 addresses.
    explicit FamilyPool(const Prefix& range);

    const Prefix& range() const { return range_; }
    std::uint64_t capacity() const { return capacity_; }
    std::size_t size() const { return index_.size(); }

    // The slot `name` is mapped to. Allocates nothing.
    std::optional<std::uint32_t> find(std::string_view name) const;
    // The slot an address of the range stands for, mapped or not; nullopt for reserved
    // addresses, addresses above the capacity and addresses outside the range.
    std::optional<std::uint32_t> slot_of(const IpAddress& address) const;
    IpAddress address_of(std::uint32_t slot) const { return range_.at(kFirstOffset + slot); }
    bool is_mapped(std::uint32_t slot) const {
        return slot < slots_.size() && slots_[slot].name != nullptr;
    }
    std::string_view name_of(std::uint32_t slot) const;
    // Marks a mapped slot as the most recently used.
    void touch(std::uint32_t slot);

    // Maps a name that has no slot yet and returns its slot, the most recently used: the
    // next never-used address while there is one (so an address is reused as late as
    // possible), else the lowest released one, else the least recently used mapping,
    // whose name loses it.
    std::uint32_t assign_new(std::string_view name);
    // The slot the next assign_new() will take, without taking it: the pool records an
    // assignment in its store before it makes it (see FakeIpPool::assign).
    std::uint32_t next_slot() const;
    // Unmaps a mapped slot; it becomes reusable once no never-used address is left.
    void release(std::uint32_t slot);

    // Loading from a store: replays records oldest first, then finish_replay() once.
    // A record supersedes whatever its slot held, and a name seen again moves to the
    // newer slot. Every slot replayed, even released, counts as used.
    void replay_assign(std::uint32_t slot, std::string_view name);
    void replay_release(std::uint32_t slot);
    void finish_replay();

    // One past the highest slot ever used: allocation continues here.
    std::uint32_t used_slots() const { return static_cast<std::uint32_t>(slots_.size()); }
    // Calls f(slot) for every mapping, least recently used first.
    template <class F>
    void for_each_oldest_first(F&& f) const {
        for (std::uint32_t slot = oldest_; slot != kNone; slot = slots_[slot].newer) f(slot);
    }

  private:
    static constexpr std::uint32_t kNone = 0xffffffff;
    struct Slot {
        std::uint32_t older = kNone;
        std::uint32_t newer = kNone;
        std::unique_ptr<char[]> name;  // [length][bytes...]; null while unmapped
    };

    void ensure_slot(std::uint32_t slot);
    void map(std::uint32_t slot, std::string_view name, std::uint32_t hash);
    void unmap(std::uint32_t slot);
    void link_newest(std::uint32_t slot);
    void unlink(std::uint32_t slot);

    Prefix range_;
    std::uint32_t capacity_ = 0;
    std::vector<Slot> slots_;  // index = offset - kFirstOffset; grows as addresses are used
    // Released slots, lowest first, so reuse order does not depend on release order
    // (and therefore survives a restart unchanged).
    std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> released_;
    NameIndex index_;
    std::uint32_t oldest_ = kNone;
    std::uint32_t newest_ = kNone;
};

}  // namespace shunt::dns

// name -> slot index of one fake-IP family: an open-addressing hash table (linear
// probing, backward-shift deletion) of 8-byte entries that do not own the names.
//
// Why not std::unordered_map<std::string, ...>: that costs a heap node plus a second copy
// of every name (~80 bytes per mapping); this costs 8 bytes per table entry at a load of
// at most 0.7. The names live once, in the pool's slots; find() asks the caller for the
// name of a candidate slot, so lookups allocate nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace shunt::dns {

class NameIndex {
  public:
    static std::uint32_t hash_of(std::string_view name);

    // The slot whose name (as told by `name_of(slot)`) equals `name`.
    template <class NameOf>
    std::optional<std::uint32_t> find(std::string_view name, std::uint32_t hash,
                                      NameOf&& name_of) const {
        if (table_.empty()) return std::nullopt;
        for (std::size_t i = home(hash);; i = (i + 1) & mask()) {
            const Entry& entry = table_[i];
            if (entry.slot == kEmpty) return std::nullopt;
            if (entry.hash == hash && name_of(entry.slot) == name) return entry.slot;
        }
    }
    // Adds a slot; its name must not be in the index yet.
    void insert(std::uint32_t slot, std::uint32_t hash);
    // Removes a slot that is in the index under `hash`.
    void erase(std::uint32_t slot, std::uint32_t hash);

    std::size_t size() const { return count_; }
    std::size_t memory_bytes() const { return table_.capacity() * sizeof(Entry); }

  private:
    static constexpr std::uint32_t kEmpty = 0xffffffff;
    struct Entry {
        std::uint32_t slot = kEmpty;
        std::uint32_t hash = 0;
    };

    std::size_t mask() const { return table_.size() - 1; }
    std::size_t home(std::uint32_t hash) const { return hash & mask(); }
    void grow();
    void place(Entry entry);

    std::vector<Entry> table_;  // size is 0 or a power of two
    std::size_t count_ = 0;
};

}  // namespace shunt::dns

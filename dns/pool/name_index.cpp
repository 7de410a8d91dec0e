#include "dns/pool/name_index.hpp"

#include <functional>
#include <stdexcept>

namespace shunt::dns {

std::uint32_t NameIndex::hash_of(std::string_view name) {
    std::uint64_t h = std::hash<std::string_view>{}(name);
    // Fold so that the low bits (the table index) depend on every bit of the hash.
    return static_cast<std::uint32_t>(h ^ (h >> 32));
}

void NameIndex::insert(std::uint32_t slot, std::uint32_t hash) {
    if (slot == kEmpty) throw std::out_of_range("NameIndex: slot index too large");
    if ((count_ + 1) * 10 > table_.size() * 7) grow();
    place(Entry{slot, hash});
    ++count_;
}

void NameIndex::place(Entry entry) {
    std::size_t i = home(entry.hash);
    while (table_[i].slot != kEmpty) i = (i + 1) & mask();
    table_[i] = entry;
}

void NameIndex::grow() {
    std::vector<Entry> old = std::move(table_);
    table_.assign(old.empty() ? 16 : old.size() * 2, Entry{});
    for (const Entry& entry : old)
        if (entry.slot != kEmpty) place(entry);
}

void NameIndex::erase(std::uint32_t slot, std::uint32_t hash) {
    if (table_.empty()) return;
    std::size_t i = home(hash);
    while (table_[i].slot != slot) {
        if (table_[i].slot == kEmpty) return;
        i = (i + 1) & mask();
    }
    // Backward shift: pull later entries of the probe run into the hole, so lookups never
    // stop early at it and no tombstones accumulate.
    std::size_t j = i;
    for (;;) {
        j = (j + 1) & mask();
        if (table_[j].slot == kEmpty) break;
        const std::size_t k = home(table_[j].hash);
        // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
        const bool home_after_hole = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (home_after_hole) continue;
        table_[i] = table_[j];
        i = j;
    }
    table_[i] = Entry{};
    --count_;
}

}  // namespace shunt::dns

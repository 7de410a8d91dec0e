#include "rules/match/ip_multibit_trie.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

namespace shunt::rules {

template <typename Key>
IpMultibitTrie<Key>::IpMultibitTrie() : root_(1, kNoMatch) {}

template <typename Key>
void IpMultibitTrie<Key>::build(std::span<Route> routes) {
    chunks_.clear();
    route_count_ = routes.size();
    root_.assign(routes.empty() ? 1 : std::size_t{1} << kRootBits, kNoMatch);
    root_.shrink_to_fit();
    root_mask_ = routes.empty() ? 0 : (std::uint32_t{1} << kRootBits) - 1;
    // Shorter prefixes first, so a longer one overwrites exactly the part it covers and a
    // shorter one never has to reach into chunks created below it. Among equal prefixes
    // the lowest value is written last, so it wins.
    std::sort(routes.begin(), routes.end(), [](const Route& a, const Route& b) {
        if (a.length != b.length) return a.length < b.length;
        if (a.base != b.base) return a.base < b.base;
        return a.value > b.value;
    });
    for (const auto& route : routes) {
        if (route.value >= kNoMatch) throw std::invalid_argument("ip prefix value too large");
        insert(route);
    }
    share_identical_chunks();
    chunks_.shrink_to_fit();
}

template <typename Key>
std::size_t IpMultibitTrie<Key>::descend_into(std::size_t entry_index, bool in_root) {
    const std::uint32_t entry = in_root ? root_[entry_index] : chunks_[entry_index];
    if (entry & kDescend) return std::size_t{entry & ~kDescend} * kChunkSize;
    const std::size_t first = chunks_.size();
    const auto chunk_id = static_cast<std::uint32_t>(first / kChunkSize);
    if (chunk_id >= kDescend) throw std::length_error("ip prefix table too large");
    chunks_.resize(first + kChunkSize, entry);  // the covering value is pushed down
    (in_root ? root_[entry_index] : chunks_[entry_index]) = chunk_id | kDescend;
    return first;
}

template <typename Key>
void IpMultibitTrie<Key>::insert(const Route& route) {
    // Fills the slots of one level that the prefix covers: 2^(level end - length) of them.
    auto fill = [&](std::uint32_t* table, int level_end_bit, int level_bits) {
        const auto slot = static_cast<std::uint32_t>(route.base >> (kKeyBits - level_end_bit)) &
                          ((std::uint32_t{1} << level_bits) - 1);
        const std::uint32_t count = std::uint32_t{1} << (level_end_bit - route.length);
        const std::uint32_t start = slot & ~(count - 1);
        std::fill(table + start, table + start + count, route.value);
    };
    if (route.length <= kRootBits) {
        fill(root_.data(), kRootBits, kRootBits);
        return;
    }
    auto root_slot = static_cast<std::size_t>(route.base >> (kKeyBits - kRootBits));
    std::size_t chunk = descend_into(root_slot, true);
    int consumed = kRootBits;
    while (route.length > consumed + kChunkBits) {
        consumed += kChunkBits;
        const auto slot =
            static_cast<std::size_t>(route.base >> (kKeyBits - consumed)) & (kChunkSize - 1);
        chunk = descend_into(chunk + slot, false);
    }
    fill(chunks_.data() + chunk, consumed + kChunkBits, kChunkBits);
}

template <typename Key>
void IpMultibitTrie<Key>::share_identical_chunks() {
    const std::size_t count = chunk_count();
    if (count == 0) return;
    // A chunk is always created after its parent, so walking from the last chunk to the
    // first sees every child before the chunk that points to it: children are already
    // renumbered when a parent's contents are compared.
    std::vector<std::uint32_t> new_id(count);
    std::vector<std::uint32_t> shared;
    std::unordered_multimap<std::uint64_t, std::uint32_t> by_hash;
    for (std::size_t i = count; i-- > 0;) {
        std::uint32_t* chunk = chunks_.data() + i * kChunkSize;
        std::uint64_t hash = 1469598103934665603ull;
        for (std::uint32_t s = 0; s < kChunkSize; ++s) {
            if (chunk[s] & kDescend) chunk[s] = new_id[chunk[s] & ~kDescend] | kDescend;
            hash = (hash ^ chunk[s]) * 1099511628211ull;
        }
        auto [begin, end] = by_hash.equal_range(hash);
        auto found = std::find_if(begin, end, [&](const auto& item) {
            return std::memcmp(shared.data() + std::size_t{item.second} * kChunkSize, chunk,
                               kChunkSize * sizeof(std::uint32_t)) == 0;
        });
        if (found != end) {
            new_id[i] = found->second;
            continue;
        }
        new_id[i] = static_cast<std::uint32_t>(shared.size() / kChunkSize);
        shared.insert(shared.end(), chunk, chunk + kChunkSize);
        by_hash.emplace(hash, new_id[i]);
    }
    for (auto& entry : root_)
        if (entry & kDescend) entry = new_id[entry & ~kDescend] | kDescend;
    chunks_ = std::move(shared);
}

template class IpMultibitTrie<std::uint32_t>;
template class IpMultibitTrie<uint128>;

}  // namespace shunt::rules

// A fixed-stride multibit trie with leaf pushing, for one address width (IPv4 or IPv6).
// IpPrefixTable (ip_prefix_table.hpp) wraps one per family; the layout is explained there.
//
// Entry encoding (uint32): bit 31 set = "descend": the low 31 bits index a 256-entry chunk
// of the next level; bit 31 clear = the final answer: a value, or kNoMatch. Because the
// build pushes every prefix's value down into the chunks it covers, a lookup never has to
// remember "the best match so far": the last entry read is the answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace shunt::rules {

using uint128 = unsigned __int128;

template <typename Key>
class IpMultibitTrie {
  public:
    static constexpr int kKeyBits = sizeof(Key) * 8;
    static constexpr int kRootBits = 16;
    static constexpr int kChunkBits = 8;
    static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;
    static constexpr std::uint32_t kDescend = 0x8000'0000u;
    static constexpr std::uint32_t kNoMatch = 0x7fff'ffffu;

    struct Route {
        Key base = 0;  // host bits cleared
        int length = 0;
        std::uint32_t value = 0;  // < kNoMatch
    };

    IpMultibitTrie();
    // Builds from routes in any order. Longest prefix wins; for equal prefixes the lowest
    // value wins. `routes` is reordered.
    void build(std::span<Route> routes);

    // Returns the value of the longest matching prefix, or kNoMatch.
    std::uint32_t lookup(Key key) const {
        std::uint32_t entry =
            root_[static_cast<std::uint32_t>(key >> (kKeyBits - kRootBits)) & root_mask_];
        int shift = kKeyBits - kRootBits;
        while (entry & kDescend) {
            shift -= kChunkBits;
            const auto slot = static_cast<std::uint32_t>(key >> shift) & (kChunkSize - 1);
            entry = chunks_[std::size_t{entry & ~kDescend} * kChunkSize + slot];
        }
        return entry;
    }

    std::size_t memory_bytes() const {
        return root_.capacity() * sizeof(std::uint32_t) +
               chunks_.capacity() * sizeof(std::uint32_t);
    }
    std::size_t chunk_count() const { return chunks_.size() / kChunkSize; }
    std::size_t route_count() const { return route_count_; }

  private:
    void insert(const Route& route);
    // Makes `entry` point to a chunk (creating one filled with its old value) and
    // returns the chunk's first index in chunks_.
    std::size_t descend_into(std::size_t entry_index, bool in_root);
    // Identical chunks (common after leaf pushing) are stored once: bottom-up hash-consing.
    void share_identical_chunks();

    // 2^16 entries; a single kNoMatch entry (mask 0) while the trie holds no route, so an
    // unused family (a v4-only rule set's v6 side) costs 4 bytes instead of 256 KiB.
    std::vector<std::uint32_t> root_;
    std::uint32_t root_mask_ = 0;
    std::vector<std::uint32_t> chunks_;  // chunk i = chunks_[i*256, i*256+256)
    std::size_t route_count_ = 0;
};

extern template class IpMultibitTrie<std::uint32_t>;
extern template class IpMultibitTrie<uint128>;

}  // namespace shunt::rules

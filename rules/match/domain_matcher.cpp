#include "rules/match/domain_matcher.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace shunt::rules {
namespace {

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr std::uint32_t kNoValue = UINT32_MAX;
constexpr std::size_t kMaxNameLength = 253;
// A name of at most 253 characters has at most 127 labels, hence 127 suffixes.
constexpr std::size_t kMaxSuffixes = 128;
// Record header in the arena: self value, below value, flags, length.
constexpr std::size_t kRecordHeader = 4 + 4 + 1 + 1;
constexpr std::size_t kFlagsAt = 8;
constexpr std::size_t kLengthAt = 9;
// Some rule name lies strictly below this one: a query must look further left.
constexpr char kHasDescendants = 1;
// The record holds a rule's values (not only an ancestor); counted by size().
constexpr char kIsRule = 2;

// FNV-1a alone leaves the low bits (the table index) poorly mixed for short, similar
// strings; the murmur3 finaliser spreads every input bit over the whole word.
inline std::uint64_t finish_hash(std::uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

inline std::uint32_t tag_of(std::uint64_t hash) noexcept {
    auto tag = static_cast<std::uint32_t>(hash >> 32);
    return tag == 0 ? 1 : tag;  // 0 marks an empty slot
}

inline std::uint32_t load_u32(const char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline void store_u32(char* p, std::uint32_t v) noexcept {
    std::memcpy(p, &v, sizeof v);
}

inline bool record_holds(const char* record, std::string_view name) noexcept {
    auto length = static_cast<unsigned char>(record[kLengthAt]);
    return length == name.size() && std::memcmp(record + kRecordHeader, name.data(), length) == 0;
}

// The filter's bit for a hash: bits 20.. (the table index uses the low bits, the tag the
// high 32), so the filter and the table fail independently.
inline std::uint64_t filter_bit(std::uint64_t hash, std::uint64_t mask) noexcept {
    return (hash >> 20) & mask;
}

// Smallest power of two keeping the load factor at or under 0.7.
std::size_t table_size_for(std::size_t names) {
    std::size_t size = 8;
    while (size * 7 < names * 10) size *= 2;
    return size;
}

}  // namespace

std::uint64_t domain_suffix_hash(std::string_view name) noexcept {
    std::uint64_t h = kFnvOffset;
    for (std::size_t i = name.size(); i-- > 0;)
        h = (h ^ static_cast<unsigned char>(name[i])) * kFnvPrime;
    return finish_hash(h);
}

std::optional<std::uint32_t> DomainMatcher::match(std::string_view name) const noexcept {
    if (name.empty() || name.size() > kMaxNameLength || name_count_ == 0) return std::nullopt;

    // Pass 1: hash right to left; every label boundary closes the hash of one suffix. The
    // slot of each suffix is prefetched at once so the probes below overlap their misses.
    std::uint64_t hashes[kMaxSuffixes];
    std::uint8_t starts[kMaxSuffixes];
    std::size_t count = 0;
    std::uint64_t h = kFnvOffset;
    const Slot* slots = slots_.data();
    const std::uint64_t* filter = filter_.data();
    for (std::size_t i = name.size(); i-- > 0;) {
        h = (h ^ static_cast<unsigned char>(name[i])) * kFnvPrime;
        if (i == 0 || name[i - 1] == '.') {
            std::uint64_t finished = finish_hash(h);
            const std::uint64_t bit = filter_bit(finished, filter_mask_);
            // Only suffixes that may be in the table cost a fetch of its slot.
            if (filter[bit >> 6] & (std::uint64_t{1} << (bit & 63)))
                __builtin_prefetch(slots + (finished & mask_));
            hashes[count] = finished;
            starts[count] = static_cast<std::uint8_t>(i);
            ++count;
        }
    }

    // Pass 2: walk the suffixes from the top-level label down. Every proper suffix of a rule
    // name is in the table (as an ancestor record when it is no rule itself), so an absent
    // suffix, or one without descendants, ends the walk: a name under a top-level label no
    // rule uses costs one probe of a hot slot. The name itself contributes its self value,
    // a proper suffix its below value.
    std::uint32_t best = kNoValue;
    const char* arena = arena_.data();
    for (std::size_t k = 0; k < count; ++k) {
        const std::uint64_t bit = filter_bit(hashes[k], filter_mask_);
        if (!(filter[bit >> 6] & (std::uint64_t{1} << (bit & 63)))) break;  // in no record
        const std::uint32_t tag = tag_of(hashes[k]);
        const std::string_view suffix = name.substr(starts[k]);
        const char* found = nullptr;
        for (std::uint64_t index = hashes[k] & mask_;; index = (index + 1) & mask_) {
            const Slot slot = slots[index];
            if (slot.tag == 0) break;
            if (slot.tag != tag) continue;
            const char* record = arena + slot.offset;
            if (!record_holds(record, suffix)) continue;
            found = record;
            break;
        }
        if (found == nullptr) break;
        best = std::min(best, load_u32(found + (starts[k] == 0 ? 0 : 4)));
        if (!(found[kFlagsAt] & kHasDescendants)) break;
    }
    if (best == kNoValue) return std::nullopt;
    return best;
}

std::size_t DomainMatcher::memory_bytes() const noexcept {
    return slots_.capacity() * sizeof(Slot) + arena_.capacity() +
           filter_.capacity() * sizeof(std::uint64_t);
}

void DomainMatcherBuilder::add(std::string_view name, DomainMatchKind kind, std::uint32_t value) {
    if (name.empty() || name.size() > kMaxNameLength)
        throw std::invalid_argument("domain rule name must be 1-253 characters: '" +
                                    std::string(name) + "'");
    if (value > DomainMatcher::kMaxValue)
        throw std::invalid_argument("domain rule value out of range");
    pending_.push_back({domain_suffix_hash(name), static_cast<std::uint32_t>(text_.size()),
                        static_cast<std::uint8_t>(name.size()), kind, value});
    text_.append(name);
}

DomainMatcher DomainMatcherBuilder::build() {
    DomainMatcher m;

    // Every proper suffix of a rule name becomes an ancestor record (see match()).
    const std::size_t rule_entries = pending_.size();
    for (std::size_t i = 0; i < rule_entries; ++i) {
        const Pending p = pending_[i];
        const std::string_view name(text_.data() + p.offset, p.length);
        for (std::size_t pos = 1; pos < name.size(); ++pos) {
            if (name[pos - 1] != '.') continue;
            pending_.push_back({domain_suffix_hash(name.substr(pos)),
                                static_cast<std::uint32_t>(p.offset + pos),
                                static_cast<std::uint8_t>(p.length - pos), p.kind, kNoValue, true});
        }
    }

    std::size_t size = table_size_for(pending_.size());
    m.slots_.assign(size, {});
    m.mask_ = size - 1;

    // Insert with de-duplication: a name seen again only lowers its record's values.
    for (const auto& p : pending_) {
        const std::string_view name(text_.data() + p.offset, p.length);
        const std::uint32_t tag = tag_of(p.hash);
        std::uint64_t index = p.hash & m.mask_;
        std::uint32_t record_offset = kNoValue;
        for (;; index = (index + 1) & m.mask_) {
            auto& slot = m.slots_[index];
            if (slot.tag == 0) break;
            if (slot.tag == tag && record_holds(m.arena_.data() + slot.offset, name)) {
                record_offset = slot.offset;
                break;
            }
        }
        if (record_offset == kNoValue) {
            if (m.arena_.size() + kRecordHeader + name.size() > UINT32_MAX)
                throw std::length_error("domain matcher arena over 4 GiB");
            record_offset = static_cast<std::uint32_t>(m.arena_.size());
            m.arena_.resize(m.arena_.size() + kRecordHeader, 0);
            store_u32(m.arena_.data() + record_offset, kNoValue);
            store_u32(m.arena_.data() + record_offset + 4, kNoValue);
            m.arena_[record_offset + kLengthAt] = static_cast<char>(name.size());
            m.arena_.insert(m.arena_.end(), name.begin(), name.end());
            m.slots_[index] = {tag, record_offset};
            ++m.record_count_;
        }
        char* record = m.arena_.data() + record_offset;
        if (p.ancestor) {
            record[kFlagsAt] |= kHasDescendants;
            continue;
        }
        if ((record[kFlagsAt] & kIsRule) == 0) {
            record[kFlagsAt] |= kIsRule;
            ++m.name_count_;
        }
        const bool matches_self = p.kind != DomainMatchKind::strict_suffix;
        const bool matches_below = p.kind != DomainMatchKind::exact;
        if (matches_self) store_u32(record, std::min(load_u32(record), p.value));
        if (matches_below) store_u32(record + 4, std::min(load_u32(record + 4), p.value));
    }

    // Many duplicates leave the table oversized for the distinct names: rehash smaller.
    const std::size_t needed = table_size_for(m.record_count_);
    if (needed < size) {
        std::vector<DomainMatcher::Slot> smaller(needed);
        const std::uint64_t mask = needed - 1;
        for (const auto& slot : m.slots_) {
            if (slot.tag == 0) continue;
            const char* record = m.arena_.data() + slot.offset;
            const std::string_view name(record + kRecordHeader,
                                        static_cast<unsigned char>(record[kLengthAt]));
            const std::uint64_t hash = domain_suffix_hash(name);
            std::uint64_t index = hash & mask;
            while (smaller[index].tag != 0) index = (index + 1) & mask;
            smaller[index] = {tag_of(hash), slot.offset};
        }
        m.slots_ = std::move(smaller);
        m.mask_ = mask;
    }
    m.arena_.shrink_to_fit();

    std::size_t bits = 64;
    while (bits < m.record_count_ * 8) bits *= 2;
    m.filter_.assign(bits / 64, 0);
    m.filter_mask_ = bits - 1;
    for (const auto& slot : m.slots_) {
        if (slot.tag == 0) continue;
        const char* record = m.arena_.data() + slot.offset;
        const std::string_view name(record + kRecordHeader,
                                    static_cast<unsigned char>(record[kLengthAt]));
        const std::uint64_t bit = filter_bit(domain_suffix_hash(name), m.filter_mask_);
        m.filter_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
    }

    pending_.clear();
    pending_.shrink_to_fit();
    text_.clear();
    text_.shrink_to_fit();
    return m;
}

}  // namespace shunt::rules

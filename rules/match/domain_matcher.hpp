// DomainMatcher: exact and suffix domain rules (DOMAIN, DOMAIN-SUFFIX, domain rule sets)
// compiled into one read-only structure that answers "which is the first rule matching this
// name" for 10^5-10^6 entries at a few tens of nanoseconds per query, without allocating.
//
// Layout, and why:
//  - Every distinct rule name is stored once in one contiguous arena as a record
//      [u32 self_value][u32 below_value][u8 flags][u8 length][length bytes of text]
//    self_value is the lowest value of an entry that matches the name itself (exact or
//    suffix_and_self); below_value is the lowest value of an entry that matches names
//    strictly below it (suffix_and_self or strict_suffix). Merging kinds per name at build
//    time means one probe per suffix answers all three kinds at once. No std::string per
//    entry: a 15-byte name costs 25 bytes of arena.
//  - Every proper suffix of a rule name also gets a record (values "none", flag "has
//    descendants"; shared, so 100,000 names under ~10,000 public suffixes add few). A query
//    walks its suffixes from the top-level label down and stops at the first suffix that is
//    absent or has no descendants: no rule can lie below it. A name under a top-level label
//    that no rule uses costs one probe of a hot slot; a typical hit stops right after the
//    rule. This is a label trie's early exit without a trie's per-level pointer chasing.
//  - An open-addressing table (linear probing, power-of-two size, load <= 0.7) of 8-byte
//    slots {u32 tag, u32 arena offset}, keyed by a 64-bit hash of the name. The hash is
//    computed right to left, so every label boundary yields the hash of that suffix for
//    free. 8 slots per cache line keep probe chains inside one line. The 32-bit tag (the
//    hash's high half) rejects nearly every non-matching slot without touching the arena; a
//    tag hit is confirmed by comparing the text, so there are no false positives.
//  - A hit reads the two values from the arena line it had to read for verification anyway.
//  - All suffix hashes are computed first and their slots prefetched, so the probes of a
//    deep name overlap their cache misses.
//  Measured and rejected (bench/rules/domain_match_bench.cpp, 100,000 rules, same run):
//  - Parallel arrays of u16 tags and 32-byte records with the text inline (a hit needs one
//    cold line instead of two): 4.5 M/s cold and 64 B/entry at load 0.6, 4.9 M/s and
//    50 B/entry at load 0.8, against 6.8 M/s and 49 B/entry for this layout before the
//    ancestor early exit (7.8 M/s, 50 B/entry with it). Linear probe chains over 2-byte
//    tags grow long at high load, and low load inflates the records.
//  - A reversed-label trie: a node per label plus child lookups per level (one dependent
//    cache miss per label) and more memory per entry.
//
// The answer is the LOWEST value among all matching entries: compile a rule list with
// value = rule index and first-match order is kept across kinds and across suffix lengths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shunt::rules {

// How a rule name relates to the connection's domain (Clash spellings in parentheses).
enum class DomainMatchKind : std::uint8_t {
    exact,            // DOMAIN,example.com; a bare `example.com` line in a domain rule set
    suffix_and_self,  // DOMAIN-SUFFIX,example.com; `+.example.com` in a domain rule set
    strict_suffix,    // `.example.com` in a domain rule set: only names below it
};

class DomainMatcher {
  public:
    // The largest usable value; UINT32_MAX marks "no entry" inside the arena.
    static constexpr std::uint32_t kMaxValue = UINT32_MAX - 1;

    DomainMatcher() = default;  // Matches nothing.

    // Lowest value among entries matching `normalized_name` (lower case, no trailing dot, as
    // normalize_domain() produces). Names longer than 253 characters never match.
    std::optional<std::uint32_t> match(std::string_view normalized_name) const noexcept;

    // Distinct rule names (entries with the same name are merged; ancestor-only records for
    // the suffixes of rule names are not counted here but are in memory_bytes()).
    std::size_t size() const noexcept { return name_count_; }
    bool empty() const noexcept { return name_count_ == 0; }
    // Heap bytes held by the table and the arena.
    std::size_t memory_bytes() const noexcept;

  private:
    friend class DomainMatcherBuilder;

    struct Slot {
        std::uint32_t tag = 0;  // 0: empty slot
        std::uint32_t offset = 0;
    };

    std::vector<Slot> slots_;
    std::vector<char> arena_;
    // One bit per hash of every record (8 bits per record, a few hundred KB for 10^5
    // rules): small enough to stay in cache, so the many suffixes that are in no rule are
    // turned away without touching the big table in DRAM (~12% false positives).
    std::vector<std::uint64_t> filter_;
    std::uint64_t filter_mask_ = 0;
    std::uint64_t mask_ = 0;
    std::size_t name_count_ = 0;    // distinct rule names
    std::size_t record_count_ = 0;  // rule names plus ancestor-only names
};

// Collects entries (any order, duplicates allowed) and builds the matcher once.
class DomainMatcherBuilder {
  public:
    // `normalized_name`: lower case, no trailing dot, 1-253 characters. Throws
    // std::invalid_argument for an empty or over-long name or a value above kMaxValue.
    void add(std::string_view normalized_name, DomainMatchKind kind, std::uint32_t value);

    std::size_t size() const noexcept { return pending_.size(); }

    // Leaves the builder empty.
    DomainMatcher build();

  private:
    struct Pending {
        std::uint64_t hash;
        std::uint32_t offset;  // into text_
        std::uint8_t length;
        DomainMatchKind kind;
        std::uint32_t value;
        bool ancestor = false;  // a proper suffix of a rule name, added by build()
    };
    std::vector<Pending> pending_;
    std::string text_;
};

// The hash DomainMatcher keys its table with, exposed for tests: FNV-1a over the bytes from
// last to first, finished with a 64-bit mixer.
std::uint64_t domain_suffix_hash(std::string_view name) noexcept;

}  // namespace shunt::rules

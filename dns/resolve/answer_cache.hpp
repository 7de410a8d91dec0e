// Real DNS answers kept for as long as their records may live, keyed by question.
//
// Lifetime of an entry: the smallest TTL among its records (OPT excluded), capped at
// max_ttl. Negative answers (NXDOMAIN, or NOERROR without a record of the asked type)
// live min(SOA TTL, SOA MINIMUM) per RFC 2308 §5, capped at max_negative_ttl; without
// an SOA they are not cached. SERVFAIL, REFUSED, other rcodes and truncated answers are
// never cached. When full, the least recently used entry is dropped.
//
// A hit returns the stored wire answer with the caller's id and every TTL lowered by
// the whole seconds spent in the cache. TTLs are patched in place at offsets found by a
// bounds-checked scan when the answer was stored, so the upstream's bytes (compression,
// record order, EDNS options) reach the client unchanged otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace shunt::dns {

struct CacheKey {
    std::string name;  // normalised: lower case, no trailing dot
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    std::uint8_t flavor = 0;  // ClientQuery::flavor(): EDNS, DO and CD change the answer
    friend bool operator==(const CacheKey&, const CacheKey&) = default;
};

struct CacheKeyHash {
    std::size_t operator()(const CacheKey& key) const;
};

class AnswerCache {
  public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    struct Options {
        std::size_t max_entries = 4096;  // 0 disables the cache
        std::chrono::seconds max_ttl{86400};
        // RFC 2308 allows hours; a name that starts to exist should work soon.
        std::chrono::seconds max_negative_ttl{300};
        // Bounds memory to about max_entries * max_answer_bytes (32 MiB by default);
        // larger answers (rare: big TXT or DNSSEC sets over TCP) are not cached.
        std::size_t max_answer_bytes = 8192;
        Clock clock;  // empty: std::chrono::steady_clock::now
    };

    AnswerCache() : AnswerCache(Options{}) {}
    explicit AnswerCache(Options options);

    // Stores a copy of `answer` when it may be cached; returns the lifetime it got, zero
    // when it was not stored. Replaces an earlier entry for the same key.
    std::chrono::seconds insert(const CacheKey& key, std::span<const std::uint8_t> answer);
    // The stored answer with id `client_id` and TTLs lowered by its age, or nullopt when
    // absent or expired (an expired entry is dropped).
    std::optional<std::vector<std::uint8_t>> lookup(const CacheKey& key, std::uint16_t client_id);

    std::size_t size() const { return entries_.size(); }
    void clear();

    // How long an answer may be cached under `options` (zero: not at all).
    static std::chrono::seconds lifetime_of(std::span<const std::uint8_t> answer,
                                            const Options& options);

  private:
    struct Entry {
        CacheKey key;
        std::vector<std::uint8_t> wire;
        std::vector<std::size_t> ttl_offsets;  // where each record's TTL field sits
        std::vector<std::uint32_t> ttls;       // its value when stored
        std::chrono::steady_clock::time_point stored_at;
        std::chrono::seconds lifetime{0};
    };
    using EntryList = std::list<Entry>;  // most recently used first

    std::chrono::steady_clock::time_point now() const;

    Options options_;
    EntryList entries_;
    std::unordered_map<CacheKey, EntryList::iterator, CacheKeyHash> index_;
};

}  // namespace shunt::dns

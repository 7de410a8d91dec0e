#include "dns/resolve/answer_cache.hpp"

#include <algorithm>

#include "dns/resolve/message_scan.hpp"

namespace shunt::dns {

namespace {

constexpr std::uint16_t kTypeAny = 255;
constexpr unsigned kNoError = static_cast<unsigned>(Rcode::noerror);
constexpr unsigned kNxDomain = static_cast<unsigned>(Rcode::nxdomain);

// RFC 2181 §8: a TTL with the top bit set is to be treated as zero.
std::uint32_t effective_ttl(std::uint32_t ttl) {
    return ttl > 0x7FFFFFFF ? 0 : ttl;
}

bool is_negative(const ScannedMessage& message) {
    if (message.rcode() == kNxDomain) return true;
    // NODATA: the name exists but has no record of the asked type (a CNAME chain that
    // ends without one counts too, RFC 2308 §2.2).
    if (message.qtype == kTypeAny) return message.answer_count == 0;
    return std::none_of(message.records.begin(), message.records.end(), [&](const auto& r) {
        return r.section == Section::answer && r.type == message.qtype;
    });
}

}  // namespace

std::size_t CacheKeyHash::operator()(const CacheKey& key) const {
    std::size_t h = std::hash<std::string>{}(key.name);
    std::size_t extra =
        (std::size_t{key.qtype} << 24) ^ (std::size_t{key.qclass} << 8) ^ key.flavor;
    return h ^ (extra + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

AnswerCache::AnswerCache(Options options) : options_(std::move(options)) {}

std::chrono::steady_clock::time_point AnswerCache::now() const {
    return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

std::chrono::seconds AnswerCache::lifetime_of(std::span<const std::uint8_t> answer,
                                              const Options& options) {
    using std::chrono::seconds;
    if (answer.size() > options.max_answer_bytes) return seconds{0};
    auto message = scan_message(answer);
    if (!message || !message->is_response() || message->truncated()) return seconds{0};
    unsigned code = message->rcode();
    if (code != kNoError && code != kNxDomain) return seconds{0};

    std::uint32_t min_ttl = UINT32_MAX;
    std::optional<std::uint32_t> soa_minimum;
    for (const auto& record : message->records) {
        if (record.type == kTypeOpt) continue;
        min_ttl = std::min(min_ttl, effective_ttl(record.ttl));
        // SOA RDATA ends with five 32-bit fields, MINIMUM last; two names come first,
        // each at least one byte.
        if (record.type == kTypeSoaRecord && record.section == Section::authority &&
            record.rdata_length >= 22) {
            soa_minimum = read_u32(answer.data() + record.rdata_offset + record.rdata_length - 4);
        }
    }
    if (min_ttl == UINT32_MAX) return seconds{0};  // nothing to take a TTL from

    std::uint64_t lifetime = min_ttl;
    if (is_negative(*message)) {
        if (!soa_minimum) return seconds{0};
        lifetime =
            std::min<std::uint64_t>({lifetime, effective_ttl(*soa_minimum),
                                     static_cast<std::uint64_t>(options.max_negative_ttl.count())});
    } else {
        lifetime = std::min<std::uint64_t>(lifetime, options.max_ttl.count());
    }
    return seconds{static_cast<seconds::rep>(lifetime)};
}

std::chrono::seconds AnswerCache::insert(const CacheKey& key,
                                         std::span<const std::uint8_t> answer) {
    if (options_.max_entries == 0) return std::chrono::seconds{0};
    auto lifetime = lifetime_of(answer, options_);
    if (lifetime.count() <= 0) return lifetime;
    auto message = scan_message(answer);  // succeeded inside lifetime_of

    Entry entry;
    entry.key = key;
    entry.wire.assign(answer.begin(), answer.end());
    for (const auto& record : message->records) {
        if (record.type == kTypeOpt) continue;  // its "TTL" is EDNS flags
        entry.ttl_offsets.push_back(record.ttl_offset);
        entry.ttls.push_back(effective_ttl(record.ttl));
    }
    entry.stored_at = now();
    entry.lifetime = lifetime;

    if (auto it = index_.find(key); it != index_.end()) {
        entries_.erase(it->second);
        index_.erase(it);
    }
    entries_.push_front(std::move(entry));
    index_.emplace(key, entries_.begin());
    while (entries_.size() > options_.max_entries) {
        index_.erase(entries_.back().key);
        entries_.pop_back();
    }
    return lifetime;
}

std::optional<std::vector<std::uint8_t>> AnswerCache::lookup(const CacheKey& key,
                                                             std::uint16_t client_id) {
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    auto entry = it->second;
    auto age = now() - entry->stored_at;
    if (age >= entry->lifetime) {
        entries_.erase(entry);
        index_.erase(it);
        return std::nullopt;
    }
    entries_.splice(entries_.begin(), entries_, entry);  // now most recently used

    // Whole seconds only: the entry's lifetime is at most every TTL, so no TTL drops
    // below 1 before the entry expires.
    auto elapsed = static_cast<std::uint32_t>(
        std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(age).count()));
    std::vector<std::uint8_t> wire = entry->wire;
    write_u16(wire.data() + 0, client_id);
    for (std::size_t i = 0; i < entry->ttl_offsets.size(); ++i) {
        std::uint32_t ttl = entry->ttls[i];
        write_u32(wire.data() + entry->ttl_offsets[i], ttl > elapsed ? ttl - elapsed : 0);
    }
    return wire;
}

void AnswerCache::clear() {
    entries_.clear();
    index_.clear();
}

}  // namespace shunt::dns

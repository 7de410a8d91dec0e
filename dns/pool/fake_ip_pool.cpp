#include "dns/pool/fake_ip_pool.hpp"

#include <stdexcept>

#include <spdlog/spdlog.h>

#include "net/domain_name.hpp"

namespace shunt::dns {

namespace {

using Family = IpAddress::Family;

const char* family_name(Family family) {
    return family == Family::v4 ? "IPv4" : "IPv6";
}

FamilyPool checked_family_pool(const Prefix& range, Family family) {
    if (range.family() != family)
        throw std::invalid_argument("fake-IP range " + range.to_string() + " is not " +
                                    family_name(family));
    return FamilyPool(range);
}

// The log may grow to twice the live mappings plus a constant before it is rewritten, so
// a compaction's cost is spread over at least as many appends as it writes.
constexpr std::uint64_t kLogSlack = 4096;

// How long new names get SERVFAIL at once after a lost store could not be written anew,
// before the next attempt.
constexpr auto kRewriteRetry = std::chrono::seconds(1);

}  // namespace

FakeIpPool::FakeIpPool(Prefix v4_range, std::optional<Prefix> v6_range,
                       std::unique_ptr<PoolStore> store)
    : v4_(checked_family_pool(v4_range, Family::v4)), store_(std::move(store)) {
    if (v6_range) v6_.emplace(checked_family_pool(*v6_range, Family::v6));
    if (!store_) throw std::invalid_argument("fake-IP pool: no store");
    load();
}

FakeIpPool::~FakeIpPool() {
    std::lock_guard lock(mutex_);
    if (!store_->is_persistent() || compact_locked()) return;
    try {
        store_->flush();
    } catch (const std::exception& e) {
        spdlog::error("fake-IP pool: {}", e.what());
    }
}

FamilyPool* FakeIpPool::family_pool(Family family) {
    if (family == Family::v4) return &v4_;
    return v6_ ? &*v6_ : nullptr;
}

const FamilyPool* FakeIpPool::family_pool(Family family) const {
    if (family == Family::v4) return &v4_;
    return v6_ ? &*v6_ : nullptr;
}

void FakeIpPool::load() {
    std::uint64_t loaded = 0, ignored = 0, bad_names = 0;
    store_->load([&](const PoolRecord& record) {
        ++loaded;
        FamilyPool* pool = family_pool(record.address.family());
        auto slot = pool ? pool->slot_of(record.address) : std::nullopt;
        if (!slot) {
            ++ignored;
        } else if (!record.is_release() && normalize_domain(record.name) != record.name) {
            // Every name the DNS server assigns is normalised; one that is not (a record
            // written by something else, or damaged with a valid CRC) would reach the rules
            // as it is, where DOMAIN rules compare lower-case names. Never served.
            ++bad_names;
        } else if (record.is_release()) {
            pool->replay_release(*slot);
        } else {
            pool->replay_assign(*slot, record.name);
        }
    });
    v4_.finish_replay();
    if (v6_) v6_->finish_replay();
    log_records_ = loaded;

    std::string ranges = v4_.range().to_string() + (v6_ ? " and " + v6_->range().to_string() : "");
    if (bad_names > 0)
        spdlog::warn(
            "fake-IP pool: ignoring {} stored records whose name is not a normalised "
            "domain name; they are dropped from {}",
            bad_names, store_->describe());
    if (ignored > 0)
        spdlog::info(
            "fake-IP pool: ignoring {} stored records outside {} (the range changed?); "
            "they are dropped from {}",
            ignored, ranges, store_->describe());
    spdlog::info("fake-IP pool {}: {} IPv4{} mappings loaded from {} (capacity {}{})", ranges,
                 v4_.size(), v6_ ? " + " + std::to_string(v6_->size()) + " IPv6" : "",
                 store_->describe(), v4_.capacity(),
                 v6_ ? " + " + std::to_string(v6_->capacity()) : "");
    // Anything besides the live mappings (superseded, released, ignored records) is
    // rewritten away now, while nobody waits for the lock.
    if (store_->is_persistent() && compaction_records().size() != loaded) compact_locked();
}

std::vector<PoolRecord> FakeIpPool::compaction_records() const {
    std::vector<PoolRecord> records;
    records.reserve(v4_.size() + (v6_ ? v6_->size() : 0) + 2);
    for (const FamilyPool* pool : {family_pool(Family::v4), family_pool(Family::v6)}) {
        if (!pool) continue;
        // A release of the highest address ever used keeps allocation above it after a
        // restart even when it is no longer mapped.
        if (pool->used_slots() > 0 && !pool->is_mapped(pool->used_slots() - 1))
            records.push_back(PoolRecord{pool->address_of(pool->used_slots() - 1), {}});
        pool->for_each_oldest_first([&](std::uint32_t slot) {
            records.push_back(PoolRecord{pool->address_of(slot), pool->name_of(slot)});
        });
    }
    return records;
}

void FakeIpPool::write_live_mappings_locked() {
    auto records = compaction_records();
    store_->compact(records);
    log_records_ = records.size();
}

bool FakeIpPool::compact_locked() {
    try {
        write_live_mappings_locked();
        return true;
    } catch (const std::exception& e) {
        compaction_retry_at_ = log_records_ + kLogSlack;
        spdlog::error("fake-IP pool: compaction failed, the store keeps growing: {}", e.what());
        return false;
    }
}

void FakeIpPool::compact_if_log_too_long_locked() {
    const std::uint64_t live = v4_.size() + (v6_ ? v6_->size() : 0);
    if (log_records_ > 2 * live + kLogSlack && log_records_ >= compaction_retry_at_)
        compact_locked();
}

void FakeIpPool::rewrite_lost_file_locked() {
    const auto now = std::chrono::steady_clock::now();
    if (now < rewrite_retry_at_)
        throw std::runtime_error(store_->describe() +
                                 " is gone and could not be written anew; trying again shortly");
    if (!lost_file_reported_)
        spdlog::warn("fake-IP pool: {} was removed while in use; writing its {} mappings anew",
                     store_->describe(), v4_.size() + (v6_ ? v6_->size() : 0));
    lost_file_reported_ = true;
    try {
        write_live_mappings_locked();
        lost_file_reported_ = false;
    } catch (...) {
        rewrite_retry_at_ = now + kRewriteRetry;
        throw;
    }
}

template <class Write>
bool FakeIpPool::persist_locked(Write&& write) {
    try {
        // Records written into a deleted file would vanish at exit: the whole pool is
        // written to a new file at the path first.
        if (store_->lost_its_file()) rewrite_lost_file_locked();
        write();
        ++log_records_;
        if (write_failures_ > 0) {
            spdlog::info("fake-IP pool: writes to {} work again after {} failures",
                         store_->describe(), write_failures_);
            write_failures_ = 0;
        }
        return true;
    } catch (const std::exception& e) {
        if (write_failures_++ % 1000 == 0)
            spdlog::error(
                "fake-IP pool: cannot record a mapping ({} failures so far): {}; "
                "new names get SERVFAIL until the store can be written again",
                write_failures_, e.what());
        return false;
    }
}

IpAddress FakeIpPool::assign(std::string_view normalized_name, Family family) {
    if (normalized_name.empty() || normalized_name.size() > 255)
        throw std::invalid_argument("fake-IP pool: a name must have 1 to 255 bytes");
    if (!has_family(family))
        throw std::logic_error(std::string("fake-IP pool: no ") + family_name(family) + " range");
    std::lock_guard lock(mutex_);
    FamilyPool& pool = *family_pool(family);
    if (auto slot = pool.find(normalized_name)) {
        pool.touch(*slot);
        return pool.address_of(*slot);
    }
    // Stored before it is made and answered: an address answered but not stored would,
    // after a crash, be handed to another name while apps still hold it for this one.
    const IpAddress address = pool.address_of(pool.next_slot());
    if (!persist_locked([&] { store_->record_assign(address, normalized_name); }))
        throw FakeIpStoreUnwritable("fake-IP pool: " + store_->describe() +
                                    " cannot be written; no address for a new name");
    pool.assign_new(normalized_name);
    compact_if_log_too_long_locked();
    return address;
}

std::optional<std::string> FakeIpPool::lookup(const IpAddress& address) {
    std::lock_guard lock(mutex_);
    FamilyPool* pool = family_pool(address.family());
    if (!pool) return std::nullopt;
    auto slot = pool->slot_of(address);
    if (!slot || !pool->is_mapped(*slot)) return std::nullopt;
    pool->touch(*slot);
    return std::string(pool->name_of(*slot));
}

std::optional<IpAddress> FakeIpPool::find(std::string_view normalized_name, Family family) const {
    const FamilyPool* pool = family_pool(family);
    if (!pool) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto slot = pool->find(normalized_name);
    if (!slot) return std::nullopt;
    return pool->address_of(*slot);
}

bool FakeIpPool::in_range(const IpAddress& address) const {
    const FamilyPool* pool = family_pool(address.family());
    return pool && pool->range().contains(address);
}

bool FakeIpPool::has_family(Family family) const {
    return family_pool(family) != nullptr;
}

std::optional<Prefix> FakeIpPool::range(Family family) const {
    const FamilyPool* pool = family_pool(family);
    if (!pool) return std::nullopt;
    return pool->range();
}

std::size_t FakeIpPool::size(Family family) const {
    const FamilyPool* pool = family_pool(family);
    if (!pool) return 0;
    std::lock_guard lock(mutex_);
    return pool->size();
}

std::uint64_t FakeIpPool::capacity(Family family) const {
    const FamilyPool* pool = family_pool(family);
    return pool ? pool->capacity() : 0;
}

std::size_t FakeIpPool::drop_if(const std::function<bool(std::string_view name)>& matches) {
    std::lock_guard lock(mutex_);
    std::size_t dropped = 0;
    for (FamilyPool* pool : {family_pool(Family::v4), family_pool(Family::v6)}) {
        if (!pool) continue;
        std::vector<std::uint32_t> doomed;
        pool->for_each_oldest_first([&](std::uint32_t slot) {
            if (matches(pool->name_of(slot))) doomed.push_back(slot);
        });
        for (std::uint32_t slot : doomed) {
            pool->release(slot);
            persist_locked([&] { store_->record_release(pool->address_of(slot)); });
        }
        dropped += doomed.size();
    }
    compact_if_log_too_long_locked();
    return dropped;
}

void FakeIpPool::flush() {
    std::lock_guard lock(mutex_);
    store_->flush();
}

}  // namespace shunt::dns

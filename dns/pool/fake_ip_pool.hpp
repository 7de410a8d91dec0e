// The fake-IP pool: one name <-> one address per family, drawn from fake_ip_range
// (and fake_ip_range6), persisted through a PoolStore. The DNS server assigns; the rest
// of shunt maps a connection's destination back to its name with lookup().
//
// Thread-safe: one mutex, held for map operations and for the store's single write(2)
// per new mapping (the records must hit the store in the order of the changes).
//
// LRU order after a restart: exact after a clean shutdown (the destructor compacts the
// store oldest-used first); after a crash, the order of the store's records (see
// docs/fake-ip-store.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dns/pool/family_pool.hpp"
#include "dns/pool/pool_store.hpp"
#include "net/ip_address.hpp"

namespace shunt::dns {

// assign() could not record a new mapping in the store (disk full, I/O error, the file
// gone and its directory not writable): the name gets no address rather than one that
// a crash would forget. The DNS server answers SERVFAIL; clients ask again.
class FakeIpStoreUnwritable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class FakeIpPool {
  public:
    // Loads `store`. Records outside the ranges (or reserved, or above the capacity) are
    // ignored with one info line and dropped by the compaction that follows the load.
    // Throws std::invalid_argument for a range of the wrong family or under 4 addresses;
    // store errors propagate (startup errors).
    FakeIpPool(Prefix v4_range, std::optional<Prefix> v6_range, std::unique_ptr<PoolStore> store);
    // Compacts a persistent store so the exact LRU order survives a clean shutdown.
    ~FakeIpPool();
    FakeIpPool(const FakeIpPool&) = delete;
    FakeIpPool& operator=(const FakeIpPool&) = delete;

    // The address of `normalized_name` (lower case, no trailing dot), created if needed;
    // marks it most recently used. When the family is full, the least recently used
    // mapping is reclaimed. Throws std::logic_error when the family has no range and
    // std::invalid_argument for an empty name or one over 255 bytes. A new mapping is in
    // the store before it is made: when the store cannot write it, nothing changes and
    // FakeIpStoreUnwritable is thrown (names already mapped are still answered).
    IpAddress assign(std::string_view normalized_name, IpAddress::Family family);
    // The name an address stands for; marks the mapping most recently used.
    std::optional<std::string> lookup(const IpAddress& address);
    // The address of a name, without creating it or touching the LRU; allocates nothing.
    std::optional<IpAddress> find(std::string_view normalized_name, IpAddress::Family family) const;

    // True for any address of a configured range, reserved ones included.
    bool in_range(const IpAddress& address) const;
    bool has_family(IpAddress::Family family) const;
    std::optional<Prefix> range(IpAddress::Family family) const;
    std::size_t size(IpAddress::Family family) const;
    std::uint64_t capacity(IpAddress::Family family) const;

    // Drops every mapping whose name matches (config reload: names now filtered) and
    // records the releases. Returns the number of mappings dropped, both families
    // counted. `matches` runs under the pool's lock and must not call the pool.
    std::size_t drop_if(const std::function<bool(std::string_view name)>& matches);
    // Makes everything recorded so far durable against power loss. Throws
    // std::system_error when the store cannot sync.
    void flush();
    std::string store_description() const { return store_->describe(); }

  private:
    FamilyPool* family_pool(IpAddress::Family family);
    const FamilyPool* family_pool(IpAddress::Family family) const;
    void load();
    std::vector<PoolRecord> compaction_records() const;
    // The store rewritten to exactly the live mappings; throws what the store throws.
    void write_live_mappings_locked();
    bool compact_locked();
    void compact_if_log_too_long_locked();
    void rewrite_lost_file_locked();
    template <class Write>
    bool persist_locked(Write&& write);

    mutable std::mutex mutex_;
    FamilyPool v4_;
    std::optional<FamilyPool> v6_;
    std::unique_ptr<PoolStore> store_;
    std::uint64_t log_records_ = 0;          // records the store holds
    std::uint64_t compaction_retry_at_ = 0;  // after a failed compaction, wait for this many
    std::uint64_t write_failures_ = 0;       // consecutive failed store writes
    // After a failed rewrite of a lost file: no new attempt before this (each costs the
    // whole pool written until it fails, under the lock lookup() needs too).
    std::chrono::steady_clock::time_point rewrite_retry_at_{};
    bool lost_file_reported_ = false;  // one warning per loss, not one per attempt
};

}  // namespace shunt::dns

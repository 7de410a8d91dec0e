// Where the fake-IP pool keeps its mappings between runs. The pool owns the policy
// (ranges, LRU, allocation); a store only records and replays what the pool tells it,
// so every backend runs under the same pool tests (see tests/dns/pool/).
//
// A store is not thread-safe: FakeIpPool calls it under its own mutex, which also keeps
// the records in the same order as the changes they describe.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "net/ip_address.hpp"

namespace shunt::dns {

// One mapping as a store sees it. The name views memory owned by the caller (the pool's
// nodes while writing, the store's read buffer while loading). An empty name is a
// release: normalised names are never empty.
struct PoolRecord {
    IpAddress address;
    std::string_view name;

    bool is_release() const { return name.empty(); }
};

class PoolStore {
  public:
    virtual ~PoolStore() = default;

    // Replays every record, oldest first; a record supersedes earlier ones for the same
    // address. Called once, before any write. Streaming (rather than returning a vector)
    // keeps a large log from costing its size again in heap at startup.
    virtual void load(const std::function<void(const PoolRecord&)>& visit) = 0;
    // Durable against kill -9 of this process before it returns. Throws
    // std::system_error when the write fails; nothing partial stays behind then.
    virtual void record_assign(const IpAddress& address, std::string_view name) = 0;
    virtual void record_release(const IpAddress& address) = 0;
    // Replaces the whole content with exactly `live`, atomically (a crash leaves either
    // the old or the new content). Throws std::system_error; the old content stays then.
    virtual void compact(std::span<const PoolRecord> live) = 0;
    // Durable against power loss (fdatasync). Throws std::system_error.
    virtual void flush() = 0;
    // True when the store's file is no longer reachable by its path (deleted, renamed
    // away, its directory removed or moved) while we still write into it: whatever is
    // written would not be found at the next start. The pool then writes everything anew
    // at the path with compact().
    virtual bool lost_its_file() const { return false; }
    // False for the in-memory store: compaction and shutdown rewrites are skipped.
    virtual bool is_persistent() const = 0;
    // For logs: "memory" or "file /var/lib/shunt/fakeip.db".
    virtual std::string describe() const = 0;
};

}  // namespace shunt::dns

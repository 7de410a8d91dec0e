#include "dns/pool/memory_pool_store.hpp"

namespace shunt::dns {

// The pool holds every mapping itself; there is nothing to replay or to write.
void MemoryPoolStore::load(const std::function<void(const PoolRecord&)>&) {}
void MemoryPoolStore::record_assign(const IpAddress&, std::string_view) {}
void MemoryPoolStore::record_release(const IpAddress&) {}
void MemoryPoolStore::compact(std::span<const PoolRecord>) {}
void MemoryPoolStore::flush() {}

}  // namespace shunt::dns

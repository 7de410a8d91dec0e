// What a full default pool costs on a router: bytes per mapping, measured with the
// allocator's own counters (ASan's when built with it, glibc's otherwise).
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <string>

#include "dns/pool/fake_ip_pool.hpp"
#include "dns/pool/memory_pool_store.hpp"
#include "tests/dns/pool/pool_test_util.hpp"

#if defined(__SANITIZE_ADDRESS__)
// From the ASan runtime (declared here: Debian ships no sanitizer headers for GCC 12).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace shunt::dns {
namespace {

std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();  // bytes requested, no chunk overhead
#else
    const auto info = mallinfo2();
    return info.uordblks + info.hblkhd;  // small chunks with their overhead + mmapped blocks
#endif
}

// Measured (names like "host-123456.example.net", 23 bytes): 56 bytes per mapping requested
// (ASan build), 64 with glibc's chunk overhead (-O2 build): 16 for the slot, ~24 (32 in
// glibc) for the name, 16 for the index at its current load. A full 198.18.0.0/15 pool
// of 131,069 mappings takes about 8.4 MB.
TEST(FakeIpPoolMemory, BytesPerEntry) {
    const std::size_t before = heap_in_use();
    FakeIpPool pool(test::prefix("198.18.0.0/15"), std::nullopt,
                    std::make_unique<MemoryPoolStore>());
    const auto entries = pool.capacity(IpAddress::Family::v4);
    std::string name;
    for (std::uint64_t i = 0; i < entries; ++i) {
        name = "host-" + std::to_string(100000 + i) + ".example.net";
        pool.assign(name, IpAddress::Family::v4);
    }
    ASSERT_EQ(pool.size(IpAddress::Family::v4), entries);
    const double per_entry = double(heap_in_use() - before) / double(entries);
    std::printf("fake-IP pool: %.1f bytes per mapping (%llu mappings, names of %zu bytes)\n",
                per_entry, static_cast<unsigned long long>(entries), name.size());
    EXPECT_LT(per_entry, 100.0);
}

}  // namespace
}  // namespace shunt::dns

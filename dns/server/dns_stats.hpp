// Counters the DNS server keeps for logs and, later, the REST API. Updated on the event
// loop only; read by anyone (relaxed atomics: figures, not synchronisation).
#pragma once

#include <atomic>
#include <cstdint>

namespace shunt::dns {

struct DnsStats {
    std::atomic<std::uint64_t> queries{0};
    std::atomic<std::uint64_t> fake_answers{0};
    std::atomic<std::uint64_t> local_answers{0};  // hosts, PTR of fake IPs, empty NOERROR
    std::atomic<std::uint64_t> forwarded{0};
    std::atomic<std::uint64_t> servfail{0};
    std::atomic<std::uint64_t> malformed{0};
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::uint64_t> overloaded{0};  // refused because too many were in flight

    static void bump(std::atomic<std::uint64_t>& counter) {
        counter.fetch_add(1, std::memory_order_relaxed);
    }
};

}  // namespace shunt::dns

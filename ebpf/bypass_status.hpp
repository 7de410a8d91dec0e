// What the eBPF bypass is doing, for the status line and the API (GET /ebpf): plain
// values, so readers need neither libbpf nor Asio.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace shunt::ebpf {

// Kept by the program, one set per CPU, summed.
struct BypassCounters {
    std::uint64_t packets = 0;  // marked by the tc program
    std::uint64_t bytes = 0;
    std::uint64_t flows = 0;    // flows whose first packet was marked
    std::uint64_t sockets = 0;  // sockets marked by the connect hooks
};

struct BypassStatus {
    bool active = false;
    std::string state;                    // "off", "active", or "disabled: REASON"
    std::vector<std::string> interfaces;  // the program is on these now
    std::string cgroup;                   // the hooks' cgroup, "" when none
    std::size_t prefixes = 0;
    double v4_share = 0;
    double v6_share = 0;
    BypassCounters counters;
    std::size_t map_bytes = 0;
    std::size_t flow_table_size = 0;
};

}  // namespace shunt::ebpf

// One iperf3 run through a relay listener of the benchmark (bench_outbound), with the CPU
// the relays spent on it, and the pieces the head-of-line part needs: a stream stalled on
// purpose. Single runs on a shared 2-core machine move by 10-30%; callers alternate the
// variants in rounds and keep medians.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/netstack/iperf_run.hpp"
#include "bench/outbound/netns_loop.hpp"
#include "outbound/outbound.hpp"
#include "tests/support/e2e_topology.hpp"

namespace shunt::bench {

struct ThroughputFigures {
    IperfResult iperf;
    double bench_cpu_s = 0;   // this process (the client side's relays)
    double server_cpu_s = 0;  // the mux-server
    double cpu_s_per_gb() const {
        return iperf.bytes > 0 ? (bench_cpu_s + server_cpu_s) / (iperf.bytes / 1e9) : 0;
    }
};

// iperf3 -c in the client namespace through the listener on `listener_port` (127.0.0.1),
// as fast as it goes or paced at `bitrate` (iperf3 -b, e.g. "3G").
ThroughputFigures measure_relay(const test::E2eTopology& topology, std::uint16_t listener_port,
                                int seconds, pid_t mux_server_pid, const std::string& bitrate = {});

// The run with the median Gbit/s (the CPU figures come from that same run).
ThroughputFigures median_run(std::vector<ThroughputFigures> runs);

// Opens a stream through `out` to a target that never reads and writes into it until no
// write has been taken for half a second: its window is full and it stalls. Returns the
// bytes taken (0: the stream failed); `held` keeps the stream until the caller closes it.
std::size_t stall_a_stream(NetnsLoop& loop, outbound::Outbound& out, const outbound::Target& target,
                           std::unique_ptr<outbound::Stream>& held);

}  // namespace shunt::bench

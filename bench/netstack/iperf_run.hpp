// One iperf3 measurement from the E2eTopology's client namespace, with the CPU that a
// watched process (shunt) spent meanwhile.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "tests/support/e2e_topology.hpp"
#include "tests/support/process_stats.hpp"

namespace shunt::bench {

struct IperfOptions {
    std::string server;  // an address: iperf3 resolves nothing through shunt by itself
    int port = 5201;
    int seconds = 5;
    int streams = 1;
    bool reverse = false;         // -R: server -> client
    std::string bitrate;          // -b (e.g. "4G"): a paced sender; empty: as fast as it goes
    pid_t watched_pid = 0;        // whose CPU time to sample; 0: none
    std::string client_netns;     // run the client here instead of the topology's client
    std::string profile_label;    // perf-records watched_pid as LABEL (SHUNT_BENCH_PROFILE)
    bool watch_children = false;  // count watched_pid's children too (a forking relay)
};

struct IperfResult {
    bool ok = false;
    std::string error;                // iperf3's "error" field or why the output was not understood
    double gbit_per_s = 0;            // received by the receiver, over the run
    double bytes = 0;                 // received by the receiver
    double watched_cpu_s = 0;         // CPU seconds of watched_pid during the run
    test::CpuTimes watched_times;     // the same, split (children: reaped by the end of the run)
    test::ThreadCpu watched_threads;  // the same, per thread name
    test::SyscallCounts watched_syscalls;  // read- and write-type system calls during the run
    double cpu_s_per_gb() const            // watched process's CPU seconds per 10^9 bytes moved
    {
        return bytes > 0 ? watched_cpu_s / (bytes / 1e9) : 0;
    }
    double user_s_per_gb() const { return per_gb(watched_times.user); }
    double system_s_per_gb() const { return per_gb(watched_times.system); }
    double per_gb(double seconds) const { return bytes > 0 ? seconds / (bytes / 1e9) : 0; }
    // One thread's (by name) CPU seconds per 10^9 bytes moved.
    double thread_cpu_s_per_gb(const std::string& name) const;
    // Bytes moved per read-type / write-type system call of the watched process.
    double bytes_per_read_call() const {
        return watched_syscalls.reads > 0 ? bytes / watched_syscalls.reads : 0;
    }
    double bytes_per_write_call() const {
        return watched_syscalls.writes > 0 ? bytes / watched_syscalls.writes : 0;
    }
    // "name 0.31, name 0.05" (s/GB), busiest first.
    std::string threads_text() const;
};

IperfResult run_iperf(const test::E2eTopology& topology, const IperfOptions& options);

// `iperf3 -s -p PORT` in the topology's server namespace, its output in `log_path`, up
// and listening on the server's veth address; throws std::runtime_error otherwise.
std::unique_ptr<test::ChildProcess> start_iperf_server(const test::E2eTopology& topology, int port,
                                                       const std::string& log_path);

}  // namespace shunt::bench

// One iperf3 measurement from the E2eTopology's client namespace, with the CPU that a
// watched process (shunt) spent meanwhile.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "tests/support/e2e_topology.hpp"

namespace shunt::bench {

struct IperfOptions {
    std::string server;  // an address: iperf3 resolves nothing through shunt by itself
    int port = 5201;
    int seconds = 5;
    int streams = 1;
    bool reverse = false;      // -R: server -> client
    pid_t watched_pid = 0;     // whose CPU time to sample; 0: none
    std::string client_netns;  // run the client here instead of the topology's client
};

struct IperfResult {
    bool ok = false;
    std::string error;           // iperf3's "error" field or why the output was not understood
    double gbit_per_s = 0;       // received by the receiver, over the run
    double bytes = 0;            // received by the receiver
    double watched_cpu_s = 0;    // CPU seconds of watched_pid during the run
    double cpu_s_per_gb() const  // watched process's CPU seconds per 10^9 bytes moved
    {
        return bytes > 0 ? watched_cpu_s / (bytes / 1e9) : 0;
    }
};

IperfResult run_iperf(const test::E2eTopology& topology, const IperfOptions& options);

// `iperf3 -s -p PORT` in the topology's server namespace, its output in `log_path`, up
// and listening on the server's veth address; throws std::runtime_error otherwise.
std::unique_ptr<test::ChildProcess> start_iperf_server(const test::E2eTopology& topology, int port,
                                                       const std::string& log_path);

}  // namespace shunt::bench

// bench_dns: shunt's fake-IP answers against unbound answering the same names from
// local-data, both on loopback, in the same run, measured by dnsperf.
//
//   1. throughput: dnsperf at full speed for SECONDS against each server
//   2. latency: dnsperf -v at a fixed rate both servers sustain; p50/p99 of the
//      per-query latencies it reports
// Both servers are single-threaded (unbound num-threads 1; shunt's DNS runs on one
// event loop), and dnsperf gets the other core.
//
// usage: bench_dns [SECONDS=10] [NAMES=10000]
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/child_process.hpp"

using namespace shunt::test;

namespace {

struct PerfResult {
    double qps = 0;
    double lost_pct = 0;
};

struct Latency {
    double p50_us = 0;
    double p99_us = 0;
};

std::string field(const std::string& out, const std::string& key) {
    auto pos = out.find(key);
    if (pos == std::string::npos) return "";
    pos += key.size();
    while (pos < out.size() && (out[pos] == ' ' || out[pos] == ':')) ++pos;
    return out.substr(pos, out.find('\n', pos) - pos);
}

PerfResult run_dnsperf(int port, const std::string& queries, int seconds) {
    auto r = run_command({"dnsperf", "-s", "127.0.0.1", "-p", std::to_string(port), "-d", queries,
                          "-l", std::to_string(seconds), "-c", "8", "-q", "256", "-T", "1"},
                         std::chrono::seconds(seconds + 30));
    PerfResult p;
    try {
        p.qps = std::stod(field(r.out, "Queries per second"));
        auto lost = field(r.out, "Queries lost");
        auto open = lost.find('(');
        if (open != std::string::npos) p.lost_pct = std::stod(lost.substr(open + 1));
    } catch (...) {
        std::cerr << "dnsperf output not understood:\n" << r.out << "\n";
    }
    return p;
}

Latency run_latency(int port, const std::string& queries, int qps, const TempDir& dir) {
    // -v prints one line per answer ending in its latency in seconds.
    auto out_path = dir.file("latency.txt");
    ChildProcess perf(
        {"dnsperf", "-s", "127.0.0.1", "-p", std::to_string(port), "-d", queries, "-l", "5", "-Q",
         std::to_string(qps), "-v", "-T", "1"},
        {.netns = "", .stdout_path = out_path, .stderr_path = "/dev/null", .env = {}});
    perf.wait(std::chrono::seconds(40));
    std::ifstream in(out_path);
    std::vector<double> samples;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] != '>') continue;
        auto space = line.rfind(' ');
        try {
            samples.push_back(std::stod(line.substr(space + 1)) * 1e6);
        } catch (...) {
        }
    }
    Latency l;
    if (samples.empty()) return l;
    std::sort(samples.begin(), samples.end());
    l.p50_us = samples[samples.size() / 2];
    l.p99_us = samples[std::min(samples.size() - 1, samples.size() * 99 / 100)];
    return l;
}

}  // namespace

int main(int argc, char** argv) {
    int seconds = argc > 1 ? std::stoi(argv[1]) : 10;
    int names = argc > 2 ? std::stoi(argv[2]) : 10000;
    TempDir dir;

    std::ostringstream queries, local_data;
    for (int i = 0; i < names; ++i) {
        queries << "name" << i << ".bench.test A\n";
        local_data << "    local-data: \"name" << i << ".bench.test. 300 IN A 10."
                   << (i >> 16) % 256 << "." << (i >> 8) % 256 << "." << i % 256 << "\"\n";
    }
    dir.write("queries.txt", queries.str());

    int unbound_port = free_port();
    dir.write("unbound.conf", "server:\n    interface: 127.0.0.1@" + std::to_string(unbound_port) +
                                  "\n    num-threads: 1\n    verbosity: 0\n    use-syslog: no\n"
                                  "    chroot: \"\"\n    username: \"\"\n    pidfile: \"\"\n"
                                  "    directory: \"" +
                                  dir.path() +
                                  "\"\n    do-ip6: no\n"
                                  "    so-reuseport: no\n    local-zone: \"bench.test.\" static\n" +
                                  local_data.str());
    ChildProcess unbound(
        {"unbound", "-d", "-c", dir.file("unbound.conf")},
        {.netns = "", .stdout_path = "", .stderr_path = dir.file("unbound.log"), .env = {}});

    int shunt_port = free_port();
    dir.write("shunt.toml",
              "[log]\nlevel = \"warn\"\n[dns]\nlisten = [\"127.0.0.1:" +
                  std::to_string(shunt_port) + "\"]\nfake_ip_store = \"" + dir.file("fakeip.db") +
                  "\"\nupstreams = [\"udp://127.0.0.1:" + std::to_string(unbound_port) + "\"]\n");
    ChildProcess shunt(
        {SHUNT_BINARY, "run", "-c", dir.file("shunt.toml")},
        {.netns = "", .stdout_path = "", .stderr_path = dir.file("shunt.log"), .env = {}});

    if (!wait_for_tcp_port("127.0.0.1", unbound_port, std::chrono::seconds(20)) ||
        !wait_for_tcp_port("127.0.0.1", shunt_port, std::chrono::seconds(20))) {
        std::cerr << "servers did not start\n";
        return 1;
    }
    auto qfile = dir.file("queries.txt");
    // Warm-up: every name allocated in shunt's pool, unbound's caches hot.
    run_dnsperf(shunt_port, qfile, 2);
    run_dnsperf(unbound_port, qfile, 2);

    std::printf(
        "bench_dns: %d names, %d s per run, dnsperf -c 8 -q 256, both servers single-threaded\n",
        names, seconds);
    auto unbound_perf = run_dnsperf(unbound_port, qfile, seconds);
    auto shunt_perf = run_dnsperf(shunt_port, qfile, seconds);
    std::printf("  unbound local-data : %10.0f qps  (lost %.2f%%)\n", unbound_perf.qps,
                unbound_perf.lost_pct);
    std::printf("  shunt fake-ip      : %10.0f qps  (lost %.2f%%)\n", shunt_perf.qps,
                shunt_perf.lost_pct);
    double ratio = unbound_perf.qps > 0 ? shunt_perf.qps / unbound_perf.qps : 0;
    std::printf("  ratio shunt/unbound: %.2f (target >= 1.5)\n", ratio);

    int rate = 20000;
    auto unbound_lat = run_latency(unbound_port, qfile, rate, dir);
    auto shunt_lat = run_latency(shunt_port, qfile, rate, dir);
    std::printf(
        "  latency at %d qps: unbound p50 %.0f us p99 %.0f us; shunt p50 %.0f us p99 %.0f us\n",
        rate, unbound_lat.p50_us, unbound_lat.p99_us, shunt_lat.p50_us, shunt_lat.p99_us);

    std::printf(
        "RESULT shunt_qps=%.0f unbound_qps=%.0f ratio=%.2f shunt_p50_us=%.0f shunt_p99_us=%.0f "
        "unbound_p50_us=%.0f unbound_p99_us=%.0f\n",
        shunt_perf.qps, unbound_perf.qps, ratio, shunt_lat.p50_us, shunt_lat.p99_us,
        unbound_lat.p50_us, unbound_lat.p99_us);
    return 0;
}

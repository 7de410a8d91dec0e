// bench_dns: shunt's fake-IP answers against unbound answering the same names from
// local-data, both on loopback, in the same run, measured by dnsperf.
//
//   1. throughput: dnsperf at full speed for SECONDS against each server, three
//      alternating rounds, the median kept; plus each server's own CPU time per
//      answered query (utime+stime from /proc): its capacity per core, whatever the
//      load generator manages
//   2. latency: dnsperf -v at a fixed rate both servers sustain; p50/p99 of the
//      per-query latencies it reports
// Both servers answer on one thread (unbound num-threads 1; shunt's answer thread,
// "shunt-dns", with its main loop idle beside it) and are pinned to CPU 1; dnsperf is
// pinned to CPU 0, so no server competes with the load generator for its core. The CPU
// per answer (the server's, all threads) is the figure that holds on 2 cores: dnsperf
// itself saturates its core, so QPS says more about dnsperf than about either server.
//
// usage: bench_dns [SECONDS=10] [NAMES=10000]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/netstack/perf_recording.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/process_stats.hpp"

using namespace shunt::test;

namespace {

struct PerfResult {
    double qps = 0;
    double lost_pct = 0;
    double cpu_us_per_query = 0;     // the server's
    shunt::test::ThreadCpu threads;  // the server's CPU seconds per thread name
    double queries = 0;
    double thread_us_per_query(const std::string& name) const {
        const auto it = threads.find(name);
        return it == threads.end() || queries <= 0 ? 0 : it->second * 1e6 / queries;
    }
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
    auto r = run_command(
        {"taskset", "-c", "0", "dnsperf", "-s", "127.0.0.1", "-p", std::to_string(port), "-d",
         queries, "-l", std::to_string(seconds), "-c", "8", "-q", "256", "-T", "1"},
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

PerfResult measure(pid_t server, int port, const std::string& queries, int seconds,
                   const std::string& profile_label = {}) {
    std::optional<shunt::bench::PerfRecording> profile;
    if (!profile_label.empty()) profile.emplace(server, profile_label);
    auto before = shunt::test::cpu_seconds(server);
    auto threads_before = shunt::test::thread_cpu_seconds(server);
    auto r = run_dnsperf(port, queries, seconds);
    auto cpu = shunt::test::cpu_seconds(server) - before;
    r.threads =
        shunt::test::thread_cpu_delta(threads_before, shunt::test::thread_cpu_seconds(server));
    r.queries = r.qps * seconds;
    if (r.qps > 0) r.cpu_us_per_query = cpu * 1e6 / r.queries;
    return r;
}

PerfResult median(std::vector<PerfResult> runs) {
    std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.qps < b.qps; });
    return runs[runs.size() / 2];
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
        {"taskset", "-c", "1", "unbound", "-d", "-c", dir.file("unbound.conf")},
        {.netns = "", .stdout_path = "", .stderr_path = dir.file("unbound.log"), .env = {}});

    int shunt_port = free_port();
    dir.write("shunt.toml",
              "[log]\nlevel = \"warn\"\n[dns]\nlisten = [\"127.0.0.1:" +
                  std::to_string(shunt_port) + "\"]\nfake_ip_store = \"" + dir.file("fakeip.db") +
                  "\"\nupstreams = [\"udp://127.0.0.1:" + std::to_string(unbound_port) + "\"]\n");
    ChildProcess shunt(
        {"taskset", "-c", "1", SHUNT_BINARY, "run", "-c", dir.file("shunt.toml")},
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
        "bench_dns: %d names, 3 rounds of %d s, dnsperf -c 8 -q 256 on CPU 0, servers on CPU 1\n",
        names, seconds);
    std::vector<PerfResult> unbound_runs, shunt_runs;
    for (int round = 0; round < 3; ++round) {
        unbound_runs.push_back(measure(unbound.pid(), unbound_port, qfile, seconds));
        shunt_runs.push_back(
            measure(shunt.pid(), shunt_port, qfile, seconds, round == 0 ? "dns_shunt" : ""));
    }
    auto u = median(unbound_runs);
    auto s = median(shunt_runs);
    std::printf("  unbound local-data : %9.0f qps  %5.2f us CPU/query  (lost %.2f%%)\n", u.qps,
                u.cpu_us_per_query, u.lost_pct);
    std::printf("  shunt fake-ip      : %9.0f qps  %5.2f us CPU/query  (lost %.2f%%)\n", s.qps,
                s.cpu_us_per_query, s.lost_pct);
    double ratio = u.qps > 0 ? s.qps / u.qps : 0;
    double cpu_ratio = s.cpu_us_per_query > 0 ? u.cpu_us_per_query / s.cpu_us_per_query : 0;
    const double cpu_per_answer_ratio =
        u.cpu_us_per_query > 0 ? s.cpu_us_per_query / u.cpu_us_per_query : 0;
    std::printf(
        "  shunt/unbound: %.2fx qps (dnsperf on one core is the limit), CPU per answer %.2fx "
        "(target <= 0.75)\n",
        ratio, cpu_per_answer_ratio);
    std::printf(
        "  shunt CPU per answer by thread: answer thread (shunt-dns) %.2f us, main loop "
        "%.2f us\n",
        s.thread_us_per_query("shunt-dns"), s.thread_us_per_query("shunt"));

    int rate = 20000;
    auto unbound_lat = run_latency(unbound_port, qfile, rate, dir);
    auto shunt_lat = run_latency(shunt_port, qfile, rate, dir);
    std::printf(
        "  latency at %d qps: unbound p50 %.0f us p99 %.0f us; shunt p50 %.0f us p99 %.0f us\n",
        rate, unbound_lat.p50_us, unbound_lat.p99_us, shunt_lat.p50_us, shunt_lat.p99_us);
    std::printf(
        "RESULT cpu_per_answer_ratio=%.3f answer_thread_us_per_query=%.2f "
        "main_thread_us_per_query=%.2f shunt_qps=%.0f unbound_qps=%.0f ratio=%.2f "
        "shunt_cpu_us_per_query=%.2f "
        "unbound_cpu_us_per_query=%.2f cpu_ratio=%.2f shunt_p50_us=%.0f shunt_p99_us=%.0f "
        "unbound_p50_us=%.0f unbound_p99_us=%.0f\n",
        cpu_per_answer_ratio, s.thread_us_per_query("shunt-dns"), s.thread_us_per_query("shunt"),
        s.qps, u.qps, ratio, s.cpu_us_per_query, u.cpu_us_per_query, cpu_ratio, shunt_lat.p50_us,
        shunt_lat.p99_us, unbound_lat.p50_us, unbound_lat.p99_us);
    return 0;
}

// bench_api: what the control API costs the data path, and how it scales with flows.
//
//   1. api_overhead_ratio: single-stream iperf3 through shunt's TUN with no [api] against
//      a shunt with [api] and two WebSocket subscribers (python3-websockets, as a
//      dashboard would hold them) on /connections?interval=100 and /traffic. The two
//      take turns, ROUNDS times each, a fresh shunt per run; the medians are compared.
//   2. With 10,000 live flows (idle connections through the TUN, as bench_netstack makes
//      them): GET /connections latency by curl from the client namespace (p50, p99 of 100
//      requests, time_total), the snapshot's size, and the CPU the once-a-second push
//      costs shunt — its CPU seconds over 10 s with a /connections subscriber at the
//      default 1000 ms, minus 10 s without, as a share of one core.
// The load generators share the machine's 2 cores with shunt; the figures are compared
// within the run.
//
// usage: bench_api [SECONDS=5] [ROUNDS=3] [FLOWS=10000]     needs root
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bench/netstack/idle_connections.hpp"
#include "bench/netstack/iperf_run.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/process_stats.hpp"
#include "tests/support/shunt_in_namespace.hpp"

using namespace shunt::test;
using namespace shunt::bench;
using namespace std::chrono_literals;

namespace {

constexpr int kIperfPort = 5201;
constexpr int kIdlePort = 5300;

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

ShuntInNamespace::Options shunt_options(bool api) {
    ShuntInNamespace::Options o;
    o.extra_tun = "max_tcp_flows = 20000\n";
    if (api) o.extra_sections = "[api]\nsecret = \"bench\"\n";
    return o;
}

// A WebSocket subscriber in the client namespace for `seconds`.
std::unique_ptr<ChildProcess> subscribe(const E2eTopology& topology, const std::string& path,
                                        double seconds, const std::string& out) {
    return topology.spawn_in_client(
        {"/usr/bin/python3", std::string(SHUNT_SOURCE_DIR) + "/tests/support/ws_client.py",
         "ws://127.0.0.1:9090" + path + (path.find('?') == std::string::npos ? "?" : "&") +
             "token=bench",
         std::to_string(seconds)},
        {.netns = "", .stdout_path = out, .stderr_path = out + ".err", .env = {}});
}

struct Run {
    double gbit = 0;
    double cpu_s_per_gb = 0;
};

Run throughput(const E2eTopology& topology, bool api, int seconds, const TempDir& dir) {
    ShuntInNamespace shunt(topology, shunt_options(api));
    shunt.start();
    const std::string fake_ip = shunt.resolve(E2eTopology::kWebSite);
    std::vector<std::unique_ptr<ChildProcess>> subscribers;
    if (api) {
        subscribers.push_back(subscribe(topology, "/connections?interval=100", seconds + 4,
                                        dir.file("connections.out")));
        subscribers.push_back(
            subscribe(topology, "/traffic", seconds + 4, dir.file("traffic.out")));
        std::this_thread::sleep_for(1500ms);  // both subscribed and streaming
    }
    const auto result = run_iperf(topology, {.server = fake_ip,
                                             .port = kIperfPort,
                                             .seconds = seconds,
                                             .streams = 1,
                                             .reverse = false,
                                             .bitrate = {},
                                             .watched_pid = shunt.pid(),
                                             .client_netns = {},
                                             .profile_label = {}});
    if (!result.ok) std::printf("  iperf3 failed: %s\n", result.error.c_str());
    for (auto& s : subscribers) s->kill();
    shunt.stop();
    return {result.gbit_per_s, result.cpu_s_per_gb()};
}

struct FlowFigures {
    int flows = 0;
    double p50_ms = 0, p99_ms = 0, max_ms = 0;
    double snapshot_kb = 0;
    double push_cpu_percent = 0;
    double idle_cpu_percent = 0;
};

FlowFigures with_many_flows(const E2eTopology& topology, int count, const TempDir& dir) {
    FlowFigures f;
    ShuntInNamespace shunt(topology, shunt_options(true));
    shunt.start();
    const std::string fake_ip = shunt.resolve(E2eTopology::kWebSite);
    IdleConnections idle({.server_ns = topology.server_ns(),
                          .client_ns = topology.client_ns(),
                          .listen_port = kIdlePort,
                          .target_v4 = fake_ip,
                          .count = count});
    idle.open();
    idle.wait_accepted(count, 60s);
    std::this_thread::sleep_for(2s);
    const std::string url = "http://127.0.0.1:9090/connections";
    const auto snapshot =
        topology.run_in_client({"curl", "-s", "-H", "Authorization: Bearer bench", "-o",
                                dir.file("snapshot.json"), "-w", "%{size_download}", url});
    f.snapshot_kb = std::atof(snapshot.out.c_str()) / 1024.0;
    const std::string text = read_file(dir.file("snapshot.json"));
    for (std::size_t at = text.find("\"id\":"); at != std::string::npos;
         at = text.find("\"id\":", at + 1))
        ++f.flows;
    std::vector<double> ms;
    for (int i = 0; i < 100; ++i) {
        const auto r = topology.run_in_client({"curl", "-s", "-H", "Authorization: Bearer bench",
                                               "-o", "/dev/null", "-w", "%{time_total}", url});
        if (r.exit_code == 0) ms.push_back(std::atof(r.out.c_str()) * 1000.0);
    }
    f.p50_ms = percentile(ms, 0.50);
    f.p99_ms = percentile(ms, 0.99);
    f.max_ms = ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end());

    // The push: shunt's CPU over 10 s with one subscriber at the default interval, against
    // 10 s with none (lwIP's timers over 10,000 flows run either way).
    constexpr double kWindow = 10;
    double before = cpu_seconds(shunt.pid());
    std::this_thread::sleep_for(std::chrono::duration<double>(kWindow));
    const double idle_cpu = cpu_seconds(shunt.pid()) - before;
    auto subscriber = subscribe(topology, "/connections", kWindow + 2, dir.file("push.out"));
    std::this_thread::sleep_for(1s);
    before = cpu_seconds(shunt.pid());
    std::this_thread::sleep_for(std::chrono::duration<double>(kWindow));
    const double push_cpu = cpu_seconds(shunt.pid()) - before;
    subscriber->wait(10s);
    f.idle_cpu_percent = idle_cpu / kWindow * 100;
    f.push_cpu_percent = std::max(0.0, push_cpu - idle_cpu) / kWindow * 100;
    idle.close_all();
    shunt.stop();
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::string(argv[1]) == kAcceptorFlag)
        return run_acceptor(std::stoi(argv[2]), argv[3]);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const int seconds = argc > 1 ? std::stoi(argv[1]) : 5;
    const int rounds = argc > 2 ? std::stoi(argv[2]) : 3;
    const int flows = argc > 3 ? std::stoi(argv[3]) : 10000;
    raise_fd_limit(static_cast<rlim_t>(flows) + 4096);
    try {
        E2eTopology topology;
        topology.run_in_client({"sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000"});
        TempDir dir;
        auto iperf_server = start_iperf_server(topology, kIperfPort, dir.file("iperf3.log"));
        std::printf(
            "bench_api: single-stream iperf3 %d s through the TUN, %d rounds, API off "
            "vs on with WebSocket subscribers on /connections (100 ms) and /traffic\n",
            seconds, rounds);
        std::vector<double> off, on, off_cpu, on_cpu;
        for (int r = 0; r < rounds; ++r) {
            const auto a = throughput(topology, false, seconds, dir);
            const auto b = throughput(topology, true, seconds, dir);
            std::printf(
                "  round %d: off %6.2f Gbit/s (%.2f CPU s/GB)   on %6.2f Gbit/s (%.2f "
                "CPU s/GB)\n",
                r + 1, a.gbit, a.cpu_s_per_gb, b.gbit, b.cpu_s_per_gb);
            off.push_back(a.gbit);
            on.push_back(b.gbit);
            off_cpu.push_back(a.cpu_s_per_gb);
            on_cpu.push_back(b.cpu_s_per_gb);
        }
        const double ratio = median(off) > 0 ? median(on) / median(off) : 0;
        std::printf(
            "  median: off %.2f Gbit/s, on %.2f Gbit/s, ratio %.3f; shunt CPU %.2f vs "
            "%.2f s/GB\n",
            median(off), median(on), ratio, median(off_cpu), median(on_cpu));

        std::printf("bench_api: %d live flows through the TUN\n", flows);
        const auto f = with_many_flows(topology, flows, dir);
        std::printf(
            "  GET /connections: %d flows listed, %.0f KB; latency p50 %.1f ms, p99 "
            "%.1f ms, max %.1f ms (100 requests, curl time_total)\n",
            f.flows, f.snapshot_kb, f.p50_ms, f.p99_ms, f.max_ms);
        std::printf(
            "  the 1-s push to one subscriber: %.2f%% of a core (shunt at rest with "
            "those flows: %.2f%%)\n",
            f.push_cpu_percent, f.idle_cpu_percent);
        std::printf(
            "RESULT api_overhead_ratio=%.3f off_gbps=%.2f on_gbps=%.2f "
            "off_cpu_s_per_gb=%.2f on_cpu_s_per_gb=%.2f connections_flows=%d "
            "connections_p50_ms_10k=%.1f connections_p99_ms_10k=%.1f snapshot_kb_10k=%.0f "
            "push_cpu_percent_10k=%.2f\n",
            ratio, median(off), median(on), median(off_cpu), median(on_cpu), f.flows, f.p50_ms,
            f.p99_ms, f.snapshot_kb, f.push_cpu_percent);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "bench_api: " << e.what() << "\n";
        return 1;
    }
}

// bench_netstack: shunt's TCP data path (TUN -> lwIP -> direct outbound) against the
// kernel's own path between the same two network namespaces, in the same run.
//
//   1. throughput: iperf3 from the client namespace to the server namespace, (a) straight
//      over the veth to the server's web address (the ceiling), (b) to the fake IP shunt
//      hands out for www.e2e.test, which shunt maps to the same address, and (c) for one
//      stream each way, through socat relaying from the client namespace's loopback to the
//      same server: a user-space relay on the same host and route, whose CPU per GB is
//      the control for shunt's (on veth, much of the peers' TCP work runs in the relay's
//      system calls, so neither figure is the relay's alone). One and four streams, plus
//      one stream reversed (-R, server -> client). Each through-shunt run yields shunt's
//      CPU seconds per GB moved (utime+stime from /proc; user and system apart, per
//      thread, and bytes per system call). Then one stream each way again, paced at
//      4 Gbit/s (iperf3 -b) through shunt and socat: at a rate every path carries, each
//      process pays for its own work only (saturated, the bottleneck also runs the
//      peers' TCP work inside its system calls).
//   2. memory: shunt's VmRSS/VmHWM at rest, then with CONNECTIONS idle established
//      connections through it (made by this process: sockets created inside each
//      namespace by a thread that joined it), then after they are closed.
// The machine's cores are shared with the load generator (iperf3 runs on the same 2
// CPUs as shunt), so (b) measures shunt plus the kernel work on both of its sides.
//
// usage: bench_netstack [SECONDS=5] [CONNECTIONS=10000]     needs root
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
constexpr int kRelayPort = 5401;

bool in_fake_range(const std::string& address) {
    return address.rfind("198.18.", 0) == 0 || address.rfind("198.19.", 0) == 0;
}

struct Case {
    const char* label;
    const char* profile;  // perf label for the through-shunt run (SHUNT_BENCH_PROFILE)
    int streams;
    bool reverse;
    const char* bitrate;  // "" = as fast as it goes; else iperf3 -b (paced: see main)
    IperfResult direct;
    IperfResult shunt;
    IperfResult relay;  // socat, for the 1-stream cases
    double ratio() const {
        return direct.gbit_per_s > 0 ? shunt.gbit_per_s / direct.gbit_per_s : 0;
    }
};

struct MemoryFigures {
    MemoryUsage at_start, before_idle, with_idle, after_close;
    int fds_before = 0, fds_with_idle = 0, fds_after = 0;
    int opened = 0, accepted = 0;
    double open_seconds = 0;
    double drain_seconds = 0;  // from closing until shunt's fds are back to before
};

MemoryFigures measure_idle_connections(const E2eTopology& topology, const ShuntInNamespace& shunt,
                                       const std::string& fake_ip, int count) {
    MemoryFigures m;
    const pid_t pid = shunt.pid();
    m.before_idle = memory_usage(pid);
    m.fds_before = open_fds(pid);
    IdleConnections idle({.server_ns = topology.server_ns(),
                          .client_ns = topology.client_ns(),
                          .listen_port = kIdlePort,
                          .target_v4 = fake_ip,
                          .count = count});
    const auto started = std::chrono::steady_clock::now();
    m.opened = idle.open();
    m.accepted = idle.wait_accepted(m.opened, 30s);
    m.open_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // Idle for a moment: lwIP's timers and any deferred work have run.
    std::this_thread::sleep_for(2s);
    m.with_idle = memory_usage(pid);
    m.fds_with_idle = open_fds(pid);
    idle.close_all();
    const auto closed = std::chrono::steady_clock::now();
    bool reported = false;
    for (int i = 0; i < 600; ++i) {
        m.fds_after = open_fds(pid);
        if (m.fds_after <= m.fds_before) break;
        if (i == 20 && !reported) {
            // Still draining after 2 s: where the client's kernel thinks each one stands.
            reported = true;
            std::printf("  after 2 s, %d shunt fds left; client ns TCP states: %s\n", m.fds_after,
                        topology
                            .shell_in_client("ss -tanH | awk '{print $1}' | sort | uniq -c | "
                                             "tr '\\n' ' '; ip -s link show " +
                                             std::string(ShuntInNamespace::kTunName) +
                                             " | sed -n '4p;6p' | tr '\\n' ' '")
                            .out.c_str());
        }
        std::this_thread::sleep_for(100ms);
    }
    m.drain_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - closed).count();
    m.after_close = memory_usage(pid);
    return m;
}

double mb(long kb) {
    return static_cast<double>(kb) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::string(argv[1]) == kAcceptorFlag)
        return run_acceptor(std::stoi(argv[2]), argv[3]);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress visible when piped
    const int seconds = argc > 1 ? std::stoi(argv[1]) : 5;
    const int connections = argc > 2 ? std::stoi(argv[2]) : 10000;
    // The TUN's MTU (shunt's default is 9000); 65535 lets lwIP use 64 KB segments.
    const int mtu = argc > 3 ? std::stoi(argv[3]) : 9000;
    const rlim_t fd_limit = raise_fd_limit(static_cast<rlim_t>(connections) + 4096);
    if (fd_limit < static_cast<rlim_t>(connections) + 100)
        std::fprintf(stderr, "fd limit %llu is too low for %d connections\n",
                     static_cast<unsigned long long>(fd_limit), connections);

    try {
        E2eTopology topology;
        // Room for the client's side of every idle connection and shunt's outbound side.
        topology.run_in_client({"sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000"});
        TempDir dir;
        auto iperf_server = start_iperf_server(topology, kIperfPort, dir.file("iperf3.log"));
        ShuntInNamespace shunt(
            topology, {.extra_dns = "",
                       .extra_tun = "max_tcp_flows = 20000\nmtu = " + std::to_string(mtu) + "\n",
                       .top_level = ""});
        shunt.start();
        const std::string fake_ip = shunt.resolve(E2eTopology::kWebSite);
        if (!in_fake_range(fake_ip)) {
            std::cerr << "shunt did not answer a fake IP for " << E2eTopology::kWebSite << ": '"
                      << fake_ip << "'\n"
                      << shunt.log();
            return 1;
        }
        const MemoryUsage at_start = memory_usage(shunt.pid());

        std::printf(
            "bench_netstack: iperf3 %d s per run, client ns -> server ns; direct to %s, through "
            "shunt (TUN mtu %d) to %s (%s)\n",
            seconds, E2eTopology::kWebV4, mtu, fake_ip.c_str(), E2eTopology::kWebSite);
        // The paced cases: on a saturated machine the slowest process in a chain also runs
        // its peers' TCP work (an ACK it sends makes the sender transmit inside its system
        // call), so a relay's CPU per GB depends on whether it is the bottleneck. At a rate
        // every path carries, each process pays for its own work only.
        std::vector<Case> cases = {{"1 stream", "tun_up_1", 1, false, "", {}, {}, {}},
                                   {"4 streams", "tun_up_4", 4, false, "", {}, {}, {}},
                                   {"1 stream -R", "tun_down_1", 1, true, "", {}, {}, {}},
                                   {"1 @ 4G", "tun_up_paced", 1, false, "4G", {}, {}, {}},
                                   {"1 -R @ 4G", "tun_down_paced", 1, true, "4G", {}, {}, {}}};
        auto relay = topology.spawn_in_client(
            {"socat", "-b", "262144",
             "TCP-LISTEN:" + std::to_string(kRelayPort) + ",bind=127.0.0.1,fork,reuseaddr",
             std::string("TCP:") + E2eTopology::kWebV4 + ":" + std::to_string(kIperfPort)},
            {.netns = "", .stdout_path = "", .stderr_path = dir.file("socat.log"), .env = {}});
        if (!wait_for_tcp_port("127.0.0.1", kRelayPort, 10s, topology.client_ns()))
            throw std::runtime_error("socat did not start: " + read_file(dir.file("socat.log")));
        bool all_ok = true;
        for (auto& c : cases) {
            // Alternating, so a noisy neighbour on the shared cores hits both sides alike.
            c.direct = run_iperf(topology, {.server = E2eTopology::kWebV4,
                                            .port = kIperfPort,
                                            .seconds = seconds,
                                            .streams = c.streams,
                                            .reverse = c.reverse,
                                            .bitrate = c.bitrate,
                                            .watched_pid = 0,
                                            .client_netns = {},
                                            .profile_label = {}});
            c.shunt = run_iperf(topology, {.server = fake_ip,
                                           .port = kIperfPort,
                                           .seconds = seconds,
                                           .streams = c.streams,
                                           .reverse = c.reverse,
                                           .bitrate = c.bitrate,
                                           .watched_pid = shunt.pid(),
                                           .client_netns = {},
                                           .profile_label = c.profile});
            if (c.streams == 1)
                c.relay = run_iperf(topology, {.server = "127.0.0.1",
                                               .port = kRelayPort,
                                               .seconds = seconds,
                                               .streams = c.streams,
                                               .reverse = c.reverse,
                                               .bitrate = c.bitrate,
                                               .watched_pid = relay->pid(),
                                               .client_netns = {},
                                               .profile_label = {},
                                               .watch_children = true});
            for (const auto* r : {&c.direct, &c.shunt})
                if (!r->ok) {
                    all_ok = false;
                    std::printf("  %s: iperf3 failed: %s\n", c.label, r->error.c_str());
                }
            std::printf(
                "  %-12s  direct %6.2f Gbit/s   shunt %6.2f Gbit/s   b/a %.2f   shunt CPU %.2f "
                "s/GB\n",
                c.label, c.direct.gbit_per_s, c.shunt.gbit_per_s, c.ratio(),
                c.shunt.cpu_s_per_gb());
            std::printf(
                "  %-12s  shunt CPU s/GB: user %.2f, system %.2f; per thread: %s; bytes per read "
                "call %.0f, per write call %.0f\n",
                "", c.shunt.user_s_per_gb(), c.shunt.system_s_per_gb(),
                c.shunt.threads_text().c_str(), c.shunt.bytes_per_read_call(),
                c.shunt.bytes_per_write_call());
            if (c.streams == 1)
                std::printf(
                    "  %-12s  socat relay %6.2f Gbit/s, CPU %.2f s/GB (shunt/socat %.2f)%s\n", "",
                    c.relay.gbit_per_s, c.relay.cpu_s_per_gb(),
                    c.relay.cpu_s_per_gb() > 0 ? c.shunt.cpu_s_per_gb() / c.relay.cpu_s_per_gb()
                                               : 0,
                    c.relay.ok ? "" : (" (failed: " + c.relay.error + ")").c_str());
        }

        if (!is_running(shunt.pid())) {
            const std::string log = shunt.log();
            std::fprintf(stderr, "shunt died during the throughput runs; its log (tail):\n%s\n",
                         log_tail(log).c_str());
            return 1;
        }
        const auto m = measure_idle_connections(topology, shunt, fake_ip, connections);
        std::printf("  idle connections: %d opened, %d accepted by the server, in %.1f s\n",
                    m.opened, m.accepted, m.open_seconds);
        std::printf(
            "  shunt RSS/HWM MB: at start %.1f/%.1f, before idle %.1f/%.1f, with %d idle "
            "%.1f/%.1f, after close %.1f/%.1f\n",
            mb(at_start.rss_kb), mb(at_start.hwm_kb), mb(m.before_idle.rss_kb),
            mb(m.before_idle.hwm_kb), m.accepted, mb(m.with_idle.rss_kb), mb(m.with_idle.hwm_kb),
            mb(m.after_close.rss_kb), mb(m.after_close.hwm_kb));
        const double per_connection_kb =
            m.accepted > 0
                ? static_cast<double>(m.with_idle.rss_kb - m.before_idle.rss_kb) / m.accepted
                : 0;
        std::printf(
            "  shunt fds: %d before, %d with idle connections, %d at %.1f s after close; %.2f "
            "KB RSS per idle connection\n",
            m.fds_before, m.fds_with_idle, m.fds_after, m.drain_seconds, per_connection_kb);
        if (m.accepted < connections) all_ok = false;

        const double single_ratio = cases[0].ratio();
        std::printf(
            "  targets: single stream b/a %.2f (>= 0.5: %s); RSS with %d idle %.1f MB "
            "(<= 60: %s)\n",
            single_ratio, single_ratio >= 0.5 ? "met" : "MISSED", m.accepted,
            mb(m.with_idle.rss_kb), mb(m.with_idle.rss_kb) <= 60 ? "met" : "MISSED");
        std::printf(
            "RESULT tun_up_cpu_s_per_gb=%.3f tun_down_cpu_s_per_gb=%.3f "
            "relay_up_cpu_s_per_gb=%.3f relay_down_cpu_s_per_gb=%.3f tun_up_user_s_per_gb=%.3f "
            "tun_down_user_s_per_gb=%.3f direct_1_gbps=%.2f "
            "shunt_1_gbps=%.2f ratio_1=%.2f direct_4_gbps=%.2f "
            "shunt_4_gbps=%.2f ratio_4=%.2f direct_1r_gbps=%.2f shunt_1r_gbps=%.2f ratio_1r=%.2f "
            "shunt_cpu_s_per_gb_1=%.2f shunt_cpu_s_per_gb_4=%.2f shunt_cpu_s_per_gb_1r=%.2f "
            "rss_start_mb=%.1f rss_idle_mb=%.1f hwm_idle_mb=%.1f rss_after_mb=%.1f "
            "idle_connections=%d kb_per_connection=%.2f tun_mtu=%d "
            "tun_up_paced_cpu_s_per_gb=%.3f tun_down_paced_cpu_s_per_gb=%.3f "
            "relay_up_paced_cpu_s_per_gb=%.3f relay_down_paced_cpu_s_per_gb=%.3f\n",
            cases[0].shunt.cpu_s_per_gb(), cases[2].shunt.cpu_s_per_gb(),
            cases[0].relay.cpu_s_per_gb(), cases[2].relay.cpu_s_per_gb(),
            cases[0].shunt.user_s_per_gb(), cases[2].shunt.user_s_per_gb(),
            cases[0].direct.gbit_per_s, cases[0].shunt.gbit_per_s, cases[0].ratio(),
            cases[1].direct.gbit_per_s, cases[1].shunt.gbit_per_s, cases[1].ratio(),
            cases[2].direct.gbit_per_s, cases[2].shunt.gbit_per_s, cases[2].ratio(),
            cases[0].shunt.cpu_s_per_gb(), cases[1].shunt.cpu_s_per_gb(),
            cases[2].shunt.cpu_s_per_gb(), mb(at_start.rss_kb), mb(m.with_idle.rss_kb),
            mb(m.with_idle.hwm_kb), mb(m.after_close.rss_kb), m.accepted, per_connection_kb, mtu,
            cases[3].shunt.cpu_s_per_gb(), cases[4].shunt.cpu_s_per_gb(),
            cases[3].relay.cpu_s_per_gb(), cases[4].relay.cpu_s_per_gb());
        if (!all_ok) {
            const std::string log = shunt.log();
            std::fprintf(stderr, "shunt log (tail):\n%s\n", log_tail(log).c_str());
        }
        return all_ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "bench_netstack: " << e.what() << "\n";
        return 1;
    }
}

// bench_ebpf: the eBPF bypass on the router topology (a LAN device's namespace, the
// router's with shunt and lan_interfaces, the server's), in one run, alternating rounds:
//
//   (a) kernel   plain forwarding through the router, no shunt (the ceiling)
//   (b) bypass   shunt running, the destination DIRECT for every packet, [ebpf] enable:
//                the tc program marks the LAN's packets and the kernel forwards them
//   (c) tun      shunt running, the same rules, no [ebpf]: the same destination goes
//                DIRECT through the TUN and lwIP
//
// iperf3 from the LAN device to the server, upload and download (-R), one stream; the
// median of the rounds. shunt's CPU seconds during (b) and (c). Then the program's own
// cost per packet (BPF_PROG_TEST_RUN: a flow-table hit, and a SYN decided against an
// 8,192-prefix set, hit and miss) and the kernel memory of its maps.
//
// usage: bench_ebpf [SECONDS=4] [ROUNDS=3]     needs root, iperf3, unbound
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "bench/netstack/iperf_run.hpp"
#include "ebpf/bypass_program.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/ethernet_frame.hpp"
#include "tests/support/lan_device.hpp"
#include "tests/support/process_stats.hpp"
#include "tests/support/shunt_in_namespace.hpp"

using namespace shunt;
using namespace shunt::test;
using namespace shunt::bench;

namespace {

constexpr int kIperfPort = 5201;

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

ShuntInNamespace::Options router_options(const LanDevice& lan, bool ebpf) {
    ShuntInNamespace::Options o;
    o.top_level = std::string("rules = [\"IP-CIDR,") + E2eTopology::kWebV4 +
                  "/32,DIRECT\", \"MATCH,relay\"]\n";
    o.extra_tun = "lan_interfaces = [\"lan0\"]\n";
    o.dns_listen = {"127.0.0.1:53", lan.router() + ":53"};
    o.extra_sections = "[[groups]]\nname = \"relay\"\ntype = \"select\"\nproxies = [\"DIRECT\"]\n";
    if (ebpf) o.extra_sections += "\n[ebpf]\nenable = true\n";
    return o;
}

struct Path {
    const char* name;
    std::vector<double> up_gbit, down_gbit, up_cpu_s_per_gb, down_cpu_s_per_gb;
};

void measure(const E2eTopology& topology, const LanDevice& lan, Path& path, pid_t shunt_pid,
             int seconds) {
    for (bool reverse : {false, true}) {
        IperfOptions o;
        o.server = E2eTopology::kWebV4;
        o.port = kIperfPort;
        o.seconds = seconds;
        o.reverse = reverse;
        o.watched_pid = shunt_pid;
        o.client_netns = lan.name();
        const IperfResult r = run_iperf(topology, o);
        if (!r.ok) {
            std::cerr << path.name << (reverse ? " download" : " upload") << ": " << r.error
                      << "\n";
            continue;
        }
        (reverse ? path.down_gbit : path.up_gbit).push_back(r.gbit_per_s);
        if (shunt_pid != 0)
            (reverse ? path.down_cpu_s_per_gb : path.up_cpu_s_per_gb).push_back(r.cpu_s_per_gb());
        std::printf("  %-7s %-8s %6.2f Gbit/s  shunt %.3f CPU-s/GB\n", path.name,
                    reverse ? "download" : "upload", r.gbit_per_s,
                    shunt_pid != 0 ? r.cpu_s_per_gb() : 0.0);
    }
}

struct ProgramCost {
    double hit_ns = 0, syn_hit_ns = 0, syn_miss_ns = 0;
    std::size_t map_bytes = 0;
};

ProgramCost program_cost() {
    ebpf::BypassProgram program(ebpf::BypassProgram::Sizes{});
    ebpf::ProgramSettings settings;
    settings.enabled = true;
    // A test run repeats on one skb: a mark set by the first run would make every later
    // one leave at once ("marked by someone else"). Marking with 0 costs the same.
    settings.routing_mark = 0;
    settings.fake_range = *Prefix::parse("198.18.0.0/15");
    settings.hijack_ports = {53};
    program.configure(settings);
    std::vector<Prefix> prefixes;  // 8,192 /24s in 11.0.0.0/11, as a country list would be
    for (std::uint32_t i = 0; i < 8192; ++i)
        prefixes.emplace_back(IpAddress::from_v4(0x0b000000u + (i << 8)), 24);
    program.replace_set(prefixes);
    constexpr int kRepeat = 1000000;
    Frame syn;
    syn.destination = "11.0.77.9";
    ProgramCost cost;
    cost.syn_hit_ns = program.test_tc(syn.bytes(), 0, kRepeat).average_ns;
    Frame data = syn;
    data.syn = false;
    cost.hit_ns = program.test_tc(data.bytes(), 0, kRepeat).average_ns;
    Frame miss = syn;
    miss.destination = "12.0.0.1";
    cost.syn_miss_ns = program.test_tc(miss.bytes(), 0, kRepeat).average_ns;
    cost.map_bytes = program.map_bytes();
    return cost;
}

}  // namespace

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 4;
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
    E2eTopology topology;
    LanDevice lan(topology);
    const std::string lan_subnet = "10.201." + std::to_string(topology.subnet_index()) + ".0/24";
    topology.run_in_server({"ip", "route", "add", lan_subnet, "via", topology.client_v4()});
    TempDir dir;
    auto iperf_server = start_iperf_server(topology, kIperfPort, dir.file("iperf.log"));

    Path kernel{"kernel", {}, {}, {}, {}}, bypass{"bypass", {}, {}, {}, {}},
        tun{"tun", {}, {}, {}, {}};
    double bypass_cpu_s = 0;
    double bypass_seconds = 0;
    std::printf("bench_ebpf: %d rounds of %d s, LAN device -> router -> server\n", rounds, seconds);
    for (int round = 0; round < rounds; ++round) {
        std::printf("round %d\n", round + 1);
        measure(topology, lan, kernel, 0, seconds);
        {
            ShuntInNamespace shunt(topology, router_options(lan, true));
            shunt.start();
            const double before = cpu_seconds(shunt.pid());
            measure(topology, lan, bypass, shunt.pid(), seconds);
            bypass_cpu_s += cpu_seconds(shunt.pid()) - before;
            bypass_seconds += 2.0 * seconds;
            shunt.stop();
        }
        {
            ShuntInNamespace shunt(topology, router_options(lan, false));
            shunt.start();
            measure(topology, lan, tun, shunt.pid(), seconds);
            shunt.stop();
        }
    }
    const double a_up = median(kernel.up_gbit), a_down = median(kernel.down_gbit);
    const double b_up = median(bypass.up_gbit), b_down = median(bypass.down_gbit);
    const double c_up = median(tun.up_gbit), c_down = median(tun.down_gbit);
    const auto ratio = [](double x, double y) { return y > 0 ? x / y : 0; };
    std::printf("\nmedians (Gbit/s)      upload   download\n");
    std::printf("  (a) kernel           %6.2f   %6.2f\n", a_up, a_down);
    std::printf("  (b) shunt + bypass   %6.2f   %6.2f   shunt CPU %.3f s/GB up, %.3f down\n", b_up,
                b_down, median(bypass.up_cpu_s_per_gb), median(bypass.down_cpu_s_per_gb));
    std::printf("  (c) shunt via TUN    %6.2f   %6.2f   shunt CPU %.3f s/GB up, %.3f down\n", c_up,
                c_down, median(tun.up_cpu_s_per_gb), median(tun.down_cpu_s_per_gb));
    std::printf("  (b)/(a) %.2f up, %.2f down;  (b)/(c) %.2f up, %.2f down\n", ratio(b_up, a_up),
                ratio(b_down, a_down), ratio(b_up, c_up), ratio(b_down, c_down));
    std::printf(
        "  shunt's CPU while bypassing: %.3f s over %.0f s of transfers (%.2f%% of a core)\n",
        bypass_cpu_s, bypass_seconds, 100 * ratio(bypass_cpu_s, bypass_seconds));

    const ProgramCost cost = program_cost();
    std::printf(
        "\nprogram (BPF_PROG_TEST_RUN, 10^6 runs each): flow-table hit %.0f ns, SYN "
        "against 8,192 prefixes %.0f ns (hit) / %.0f ns (miss)\n",
        cost.hit_ns, cost.syn_hit_ns, cost.syn_miss_ns);
    std::printf(
        "maps: %.1f MiB of kernel memory (65,536-flow table, 16,384 sockets, 8,192 "
        "prefixes)\n",
        cost.map_bytes / 1048576.0);
    const double vs_kernel = std::min(ratio(b_up, a_up), ratio(b_down, a_down));
    const double vs_tun = std::min(ratio(b_up, c_up), ratio(b_down, c_down));
    std::printf(
        "RESULT bypass_vs_kernel=%.2f bypass_vs_tun=%.2f kernel_up_gbit=%.2f bypass_up_gbit=%.2f "
        "tun_up_gbit=%.2f kernel_down_gbit=%.2f bypass_down_gbit=%.2f tun_down_gbit=%.2f "
        "bypass_shunt_cpu_pct=%.2f tun_cpu_s_per_gb_up=%.3f tun_cpu_s_per_gb_down=%.3f "
        "prog_hit_ns=%.0f prog_syn_hit_ns=%.0f prog_syn_miss_ns=%.0f map_mib=%.1f\n",
        vs_kernel, vs_tun, a_up, b_up, c_up, a_down, b_down, c_down,
        100 * ratio(bypass_cpu_s, bypass_seconds), median(tun.up_cpu_s_per_gb),
        median(tun.down_cpu_s_per_gb), cost.hit_ns, cost.syn_hit_ns, cost.syn_miss_ns,
        cost.map_bytes / 1048576.0);
    return 0;
}

// bench_outbound: the mux outbound (shunt mux-server at the far end) against the
// per-connection proxy it replaces (SOCKS5 to dante) and against a plain TCP relay, in
// the same run, between two network namespaces joined by a veth pair (E2eTopology):
// nginx, danted, `shunt mux-server` and iperf3 -s in "server", this process's outbounds
// (on a thread inside "client") and iperf3 -c in "client".
//
//   1. short requests: REQUESTS sequential HTTP GETs of a 1 KiB file, a NEW outbound
//      connection each (connect -> GET with Connection: close -> read to EOF -> check the
//      body), through MuxOutbound and through Socks5Outbound, alternating in blocks so a
//      noisy neighbour on the shared cores hits both alike. requests/s, p50/p99.
//   2. one stream of bulk data: iperf3 -c (client ns) -> a local listener of this process
//      -> StreamRelay -> (a) a plain TCP connection to iperf3 -s, or (b) a MuxOutbound
//      stream -> mux-server -> iperf3 -s. Gbit/s from iperf3's receiver, and CPU seconds
//      per GB of this process plus the mux-server (/proc utime+stime before/after);
//      also (c) a Socks5Outbound stream -> dante -> iperf3 -s, the same two hops as mux
//      without TLS, for scale (its Gbit/s only). (a) and (b) again paced at 2 Gbit/s
//      (iperf3 -b), where the relays pay for their own work only.
//   3. head-of-line: B (iperf3) on a one-carrier pool alone and beside a stalled stream.
//   4. tun: the product's own path, shunt with its TUN in "client" and a mux proxy with 2
//      carriers (rules: MATCH to it): iperf3 -c to the fake IP of www.e2e.test with 1 and
//      4 streams, taking turns. Per-thread CPU of shunt per GB (the netstack thread is
//      "shunt", the main loop), the mux-server's CPU per GB, and 4 streams over 1.
// Throughput and head-of-line runs take turns, three of each; medians are reported.
// Everything shares the machine's cores with nginx/dante/iperf3, as on a small router.
//
// usage: bench_outbound [SECONDS=6] [REQUESTS=2000] [PARTS=requests,throughput,hol,tun]
//        needs root
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "bench/outbound/mux_server_process.hpp"
#include "bench/outbound/netns_loop.hpp"
#include "bench/outbound/relay_listener.hpp"
#include "bench/outbound/relay_throughput.hpp"
#include "bench/outbound/sequential_requests.hpp"
#include "outbound/mux/client/mux_outbound.hpp"
#include "outbound/socks5/socks5_outbound.hpp"
#include "tests/support/dante_server.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

using namespace shunt;
using namespace shunt::bench;
using namespace shunt::test;
using namespace std::chrono_literals;

namespace {

constexpr int kIperfPort = 5201;
constexpr int kDantePort = 1080;
// Below what one mux stream carries on a 2-core machine with its load generator.
constexpr const char* kPacedRate = "2G";
constexpr std::uint16_t kMuxPort = 8443;
constexpr std::size_t kBodySize = 1024;
constexpr int kWarmupRequests = 20;
constexpr int kBlocks = 4;
constexpr int kStallPort = 5300;  // accepts, never reads: a stream's far reader paused
constexpr int kRounds = 3;        // throughput runs of each kind, taking turns

struct Parts {
    bool requests = true;
    bool throughput = true;
    bool head_of_line = true;
    bool tun = true;
};

// "requests,throughput,hol,tun" or any subset; an unknown name selects nothing (usage).
Parts parse_parts(const std::string& list) {
    Parts parts{false, false, false, false};
    std::size_t begin = 0;
    while (begin <= list.size()) {
        const std::size_t end = std::min(list.find(',', begin), list.size());
        const std::string name = list.substr(begin, end - begin);
        if (name == "requests")
            parts.requests = true;
        else if (name == "throughput")
            parts.throughput = true;
        else if (name == "hol")
            parts.head_of_line = true;
        else if (name == "tun")
            parts.tun = true;
        else
            return Parts{false, false, false, false};
        begin = end + 1;
    }
    return parts;
}

template <typename... Args>
std::string fmt(const char* format, Args... args) {
    char buffer[512];
    std::snprintf(buffer, sizeof buffer, format, args...);
    return buffer;
}

// The outbounds and listeners are made and used on the client loop's thread. They go
// after that thread stopped, so no handler of a half-finished run (a benchmark that
// failed) can reach an outbound already destroyed.
struct ClientSide {
    explicit ClientSide(NetnsLoop& loop) : loop(loop) {}
    ~ClientSide() {
        loop.stop();
        stalled.reset();
        single_listener.reset();
        mux_single.reset();
        plain_listener.reset();
        mux_listener.reset();
        socks5_listener.reset();
        mux.reset();
        socks5.reset();
    }
    NetnsLoop& loop;
    std::unique_ptr<outbound::mux::MuxOutbound> mux;
    std::unique_ptr<outbound::Socks5Outbound> socks5;
    std::unique_ptr<RelayListener> plain_listener;
    std::unique_ptr<RelayListener> mux_listener;
    std::unique_ptr<RelayListener> socks5_listener;
    // Head-of-line: one carrier, a stream to a target that never reads.
    std::unique_ptr<outbound::mux::MuxOutbound> mux_single;
    std::unique_ptr<RelayListener> single_listener;
    std::unique_ptr<outbound::Stream> stalled;
};

// Both proxies get IP literals: nothing is resolved.
outbound::AddressLookup no_lookup(boost::asio::io_context& io) {
    return [&io](const std::string&, outbound::AddressCallback done) {
        boost::asio::post(
            io, [done] { done(make_error_code(boost::asio::error::host_not_found), {}); });
    };
}

RequestRunResult run_requests(NetnsLoop& loop, outbound::Outbound& out,
                              const outbound::Target& target, int count) {
    RequestRunResult result;
    const bool finished = loop.call_async(
        [&](std::function<void()> done) {
            SequentialRequests::start(loop.io(),
                                      {.outbound = &out,
                                       .target = target,
                                       .path = "/1k",
                                       .expected_body = kBodySize,
                                       .count = count,
                                       .request_timeout = 10s},
                                      [&result, done](RequestRunResult r) {
                                          result = std::move(r);
                                          done();
                                      });
        },
        std::chrono::milliseconds(count * 200 + 30'000));
    if (!finished) throw std::runtime_error(std::string(out.name()) + ": requests did not finish");
    return result;
}

void add(RequestRunResult& total, const RequestRunResult& block) {
    total.ok += block.ok;
    total.failed += block.failed;
    total.seconds += block.seconds;
    total.latencies_ms.insert(total.latencies_ms.end(), block.latencies_ms.begin(),
                              block.latencies_ms.end());
    if (total.first_error.empty()) total.first_error = block.first_error;
}

struct RequestFigures {
    RequestRunResult run;
    double rps() const { return run.seconds > 0 ? run.ok / run.seconds : 0; }
    double p50() const { return percentile(run.latencies_ms, 50); }
    double p99() const { return percentile(run.latencies_ms, 99); }
};

struct TunMuxFigures {
    bool ok = true;
    std::string result;  // RESULT keys
};

// Part 4: shunt itself (TUN -> lwIP -> mux, 2 carriers) with 1 and 4 iperf3 streams.
TunMuxFigures measure_tun_mux(const test::E2eTopology& topology, const MuxServerProcess& server,
                              int seconds) {
    TunMuxFigures f;
    const std::string proxies =
        "[[proxies]]\nname = \"vps\"\ntype = \"mux\"\nserver = \"" + server.options().address +
        "\"\nport = " + std::to_string(server.options().port) + "\npassword = \"" +
        server.options().password + "\"\nca = \"" + server.ca_file() + "\"\nsni = \"" +
        server.options().server_name + "\"\ncarriers = 2\n";
    test::ShuntInNamespace shunt(topology, {.extra_dns = "",
                                            .extra_tun = "",
                                            .top_level = "rules = [\"MATCH,vps\"]\n",
                                            .extra_sections = proxies});
    shunt.start();
    const std::string fake_ip = shunt.resolve(test::E2eTopology::kWebSite);
    std::vector<IperfResult> one_runs, four_runs;
    std::vector<double> server_cpu_one, server_cpu_four;
    for (int round = 0; round < kRounds; ++round) {
        for (int streams : {1, 4}) {
            const double server_before = cpu_seconds(server.pid());
            auto run = run_iperf(
                topology, {.server = fake_ip,
                           .port = kIperfPort,
                           .seconds = seconds,
                           .streams = streams,
                           .reverse = false,
                           .bitrate = {},
                           .watched_pid = shunt.pid(),
                           .client_netns = {},
                           .profile_label = round == 0 ? "tun_mux_" + std::to_string(streams) : "",
                           .watch_children = false});
            const double server_cpu = cpu_seconds(server.pid()) - server_before;
            if (!run.ok) {
                f.ok = false;
                std::printf("  tun -> mux, %d streams: iperf3 failed: %s\n", streams,
                            run.error.c_str());
            }
            (streams == 1 ? server_cpu_one : server_cpu_four)
                .push_back(run.bytes > 0 ? server_cpu / (run.bytes / 1e9) : 0);
            (streams == 1 ? one_runs : four_runs).push_back(std::move(run));
        }
    }
    auto median_of = [](std::vector<IperfResult>& runs) {
        std::sort(runs.begin(), runs.end(),
                  [](const auto& a, const auto& b) { return a.gbit_per_s < b.gbit_per_s; });
        return runs[runs.size() / 2];
    };
    std::sort(server_cpu_one.begin(), server_cpu_one.end());
    std::sort(server_cpu_four.begin(), server_cpu_four.end());
    const auto one = median_of(one_runs);
    const auto four = median_of(four_runs);
    const double server_one = server_cpu_one[server_cpu_one.size() / 2];
    const double server_four = server_cpu_four[server_cpu_four.size() / 2];
    const double four_over_one = one.gbit_per_s > 0 ? four.gbit_per_s / one.gbit_per_s : 0;
    std::printf("  tun -> mux (shunt with 2 carriers), median of %d runs of %d s:\n", kRounds,
                seconds);
    for (const auto* r : {&one, &four}) {
        const bool single = r == &one;
        std::printf(
            "    %d stream%s %6.2f Gbit/s  shunt %.2f s/GB (user %.2f, system %.2f), "
            "mux-server %.2f s/GB; shunt per thread: %s\n",
            single ? 1 : 4, single ? " " : "s", r->gbit_per_s, r->cpu_s_per_gb(),
            r->user_s_per_gb(), r->system_s_per_gb(), single ? server_one : server_four,
            r->threads_text().c_str());
    }
    std::printf("  target: 4 streams / 1 stream %.2f (>= 1.3: %s)\n", four_over_one,
                four_over_one >= 1.3 ? "met" : "MISSED");
    f.result =
        fmt("mux_4_over_1=%.2f mux_netstack_thread_cpu_s_per_gb=%.3f tun_mux_1_gbps=%.2f "
            "tun_mux_4_gbps=%.2f tun_mux_shunt_cpu_s_per_gb=%.3f tun_mux_server_cpu_s_per_gb=%.3f ",
            four_over_one, one.thread_cpu_s_per_gb("shunt"), one.gbit_per_s, four.gbit_per_s,
            one.cpu_s_per_gb(), server_one);
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const int seconds = argc > 1 ? std::stoi(argv[1]) : 6;
    const int requests = argc > 2 ? std::stoi(argv[2]) : 2000;
    const Parts parts = argc > 3 ? parse_parts(argv[3]) : Parts{};
    if (!parts.requests && !parts.throughput && !parts.head_of_line && !parts.tun) {
        std::cerr << "usage: bench_outbound [SECONDS=6] [REQUESTS=2000] "
                     "[PARTS=requests,throughput,hol,tun]\n";
        return 2;
    }
    try {
        // DNS in "server" (unbound) for the tun part: shunt's fake IP stands for
        // www.e2e.test, which the mux-server resolves there.
        test::E2eTopology topology(
            test::E2eTopology::Options{.start_dns = parts.tun, .extra_dns_records = {}});
        const std::string server_v4 = topology.server_v4();
        test::NginxServer nginx(topology);
        nginx.add_file("1k", kBodySize);
        test::DanteServer dante(
            {.require_password = false,
             .external = test::E2eTopology::kServerVeth,
             .clients = "0.0.0.0/0"},
            {.netns = topology.server_ns(), .address = server_v4, .port = kDantePort});
        MuxServerProcess mux_server({.shunt_binary = SHUNT_BINARY,
                                     .netns = topology.server_ns(),
                                     .address = server_v4,
                                     .port = kMuxPort,
                                     .dns_upstream = parts.tun ? server_v4 + ":53" : ""});
        test::TempDir dir;
        auto iperf_server = start_iperf_server(topology, kIperfPort, dir.file("iperf3.log"));

        NetnsLoop loop(topology.client_ns());
        ClientSide client(loop);
        const auto server_address = *IpAddress::parse(server_v4);
        const outbound::Target web{
            .domain = "", .address = server_address, .port = 80, .resolved = {}};
        const outbound::Target iperf_target{
            .domain = "", .address = server_address, .port = kIperfPort, .resolved = {}};
        loop.call([&] {
            outbound::mux::MuxClientOptions mux_options;
            mux_options.name = "bench-mux";
            mux_options.server = server_v4;
            mux_options.port = kMuxPort;
            mux_options.password = mux_server.options().password;
            mux_options.ca_file = mux_server.ca_file();
            mux_options.sni = mux_server.options().server_name;
            client.mux = std::make_unique<outbound::mux::MuxOutbound>(
                loop.io().get_executor(), mux_options, no_lookup(loop.io()));
            outbound::Socks5Options socks_options;
            socks_options.name = "bench-socks5";
            socks_options.server = server_v4;
            socks_options.port = kDantePort;
            client.socks5 = std::make_unique<outbound::Socks5Outbound>(
                loop.io().get_executor(), socks_options, no_lookup(loop.io()));
            client.plain_listener = std::make_unique<RelayListener>(
                loop.io(), plain_tcp_connector(
                               loop.io(), {boost::asio::ip::make_address(server_v4), kIperfPort}));
            client.mux_listener = std::make_unique<RelayListener>(
                loop.io(), outbound_connector(*client.mux, iperf_target));
            client.socks5_listener = std::make_unique<RelayListener>(
                loop.io(), outbound_connector(*client.socks5, iperf_target));
            auto single_options = mux_options;
            single_options.name = "bench-mux-1";
            single_options.carriers = 1;
            client.mux_single = std::make_unique<outbound::mux::MuxOutbound>(
                loop.io().get_executor(), single_options, no_lookup(loop.io()));
            client.single_listener = std::make_unique<RelayListener>(
                loop.io(), outbound_connector(*client.mux_single, iperf_target));
        });

        std::printf(
            "bench_outbound: client ns -> server ns over a veth pair (not loopback); nginx, "
            "danted, shunt mux-server, iperf3 -s at %s\n",
            server_v4.c_str());
        // Warm-up, not counted: the mux carriers' TLS handshakes, dante's first children.
        run_requests(loop, *client.mux, web, kWarmupRequests);
        run_requests(loop, *client.socks5, web, kWarmupRequests);
        bool all_ok = true;
        std::string result;

        if (parts.requests) {
            RequestFigures mux_requests, socks5_requests;
            const int per_block = std::max(1, requests / kBlocks);
            for (int block = 0; block < kBlocks; ++block) {
                add(mux_requests.run, run_requests(loop, *client.mux, web, per_block));
                add(socks5_requests.run, run_requests(loop, *client.socks5, web, per_block));
            }
            for (const auto* f : {&mux_requests, &socks5_requests}) {
                const char* label = f == &mux_requests ? "mux   " : "socks5";
                std::printf(
                    "  %s  %d requests (1 KiB, new connection each): %d ok, %d failed, %8.1f "
                    "req/s, p50 %.3f ms, p99 %.3f ms%s%s\n",
                    label, f->run.ok + f->run.failed, f->run.ok, f->run.failed, f->rps(), f->p50(),
                    f->p99(), f->run.first_error.empty() ? "" : "; first error: ",
                    f->run.first_error.c_str());
            }
            const double rps_ratio =
                socks5_requests.rps() > 0 ? mux_requests.rps() / socks5_requests.rps() : 0;
            std::printf("  target: mux/socks5 req/s %.2f (>= 2: %s)\n", rps_ratio,
                        rps_ratio >= 2 ? "met" : "MISSED");
            all_ok = all_ok && mux_requests.run.failed == 0 && socks5_requests.run.failed == 0;
            result +=
                fmt("mux_rps=%.1f socks5_rps=%.1f rps_ratio=%.2f mux_p50_ms=%.3f "
                    "mux_p99_ms=%.3f socks5_p50_ms=%.3f socks5_p99_ms=%.3f ",
                    mux_requests.rps(), socks5_requests.rps(), rps_ratio, mux_requests.p50(),
                    mux_requests.p99(), socks5_requests.p50(), socks5_requests.p99());
        }

        if (parts.throughput) {
            // plain, mux and SOCKS5 (the same two relay hops as mux, here -> proxy -> iperf3
            // -s, without TLS and framing: what the extra hop alone costs on these cores)
            // take turns, kRounds each; the median run of each is reported.
            std::vector<ThroughputFigures> plain_runs, mux_runs, socks5_runs;
            for (int round = 0; round < kRounds; ++round) {
                plain_runs.push_back(measure_relay(topology, client.plain_listener->port(), seconds,
                                                   mux_server.pid()));
                mux_runs.push_back(measure_relay(topology, client.mux_listener->port(), seconds,
                                                 mux_server.pid()));
                socks5_runs.push_back(measure_relay(topology, client.socks5_listener->port(),
                                                    seconds, mux_server.pid()));
            }
            for (const auto* runs : {&plain_runs, &mux_runs, &socks5_runs}) {
                for (const auto& run : *runs) {
                    if (run.iperf.ok) continue;
                    all_ok = false;
                    std::printf("  iperf3 failed: %s\n", run.iperf.error.c_str());
                }
            }
            const auto plain = median_run(plain_runs);
            const auto mux = median_run(mux_runs);
            const auto socks5 = median_run(socks5_runs);
            // The same two relays paced at a rate both carry: at full speed the slower
            // chain's processes also run iperf3's TCP work inside their system calls (see
            // bench_netstack), so only here is each figure the relays' own.
            std::vector<ThroughputFigures> plain_paced_runs, mux_paced_runs;
            for (int round = 0; round < kRounds; ++round) {
                plain_paced_runs.push_back(measure_relay(topology, client.plain_listener->port(),
                                                         seconds, mux_server.pid(), kPacedRate));
                mux_paced_runs.push_back(measure_relay(topology, client.mux_listener->port(),
                                                       seconds, mux_server.pid(), kPacedRate));
            }
            const auto plain_paced = median_run(plain_paced_runs);
            const auto mux_paced = median_run(mux_paced_runs);
            std::printf("  single stream, median of %d runs of %d s each:\n", kRounds, seconds);
            std::printf("    plain relay   %6.2f Gbit/s  CPU: bench %.2f s = %.2f s/GB\n",
                        plain.iperf.gbit_per_s, plain.bench_cpu_s, plain.cpu_s_per_gb());
            std::printf(
                "    mux relay     %6.2f Gbit/s  CPU: bench %.2f s + mux-server %.2f s = %.2f "
                "s/GB\n",
                mux.iperf.gbit_per_s, mux.bench_cpu_s, mux.server_cpu_s, mux.cpu_s_per_gb());
            std::printf("    socks5 relay  %6.2f Gbit/s  CPU: bench %.2f s (dante's not counted)\n",
                        socks5.iperf.gbit_per_s, socks5.bench_cpu_s);
            std::printf("  paced at %sbit/s, median of %d runs:\n", kPacedRate, kRounds);
            std::printf("    plain relay   %6.2f Gbit/s  CPU: bench %.2f s = %.2f s/GB\n",
                        plain_paced.iperf.gbit_per_s, plain_paced.bench_cpu_s,
                        plain_paced.cpu_s_per_gb());
            std::printf(
                "    mux relay     %6.2f Gbit/s  CPU: bench %.2f s + mux-server %.2f s = %.2f "
                "s/GB\n",
                mux_paced.iperf.gbit_per_s, mux_paced.bench_cpu_s, mux_paced.server_cpu_s,
                mux_paced.cpu_s_per_gb());
            int relay_failures = 0;
            loop.call([&] {
                relay_failures = client.plain_listener->failed() + client.mux_listener->failed() +
                                 client.socks5_listener->failed();
                if (relay_failures)
                    std::printf("  relay connect failures: %d (%s%s%s)\n", relay_failures,
                                client.plain_listener->first_error().c_str(),
                                client.mux_listener->first_error().c_str(),
                                client.socks5_listener->first_error().c_str());
            });
            if (relay_failures) all_ok = false;
            const double ratio =
                plain.iperf.gbit_per_s > 0 ? mux.iperf.gbit_per_s / plain.iperf.gbit_per_s : 0;
            const double socks5_ratio =
                socks5.iperf.gbit_per_s > 0 ? mux.iperf.gbit_per_s / socks5.iperf.gbit_per_s : 0;
            std::printf("  target: mux/plain Gbit/s %.2f (>= 0.7: %s); mux/socks5-relay %.2f\n",
                        ratio, ratio >= 0.7 ? "met" : "MISSED", socks5_ratio);
            result +=
                fmt("mux_gbps=%.2f plain_gbps=%.2f gbps_ratio=%.2f mux_cpu_s_per_gb=%.2f "
                    "plain_cpu_s_per_gb=%.2f socks5_relay_gbps=%.2f mux_socks5_relay_ratio=%.2f ",
                    mux.iperf.gbit_per_s, plain.iperf.gbit_per_s, ratio, mux.cpu_s_per_gb(),
                    plain.cpu_s_per_gb(), socks5.iperf.gbit_per_s, socks5_ratio);
            result += fmt("mux_paced_cpu_s_per_gb=%.2f plain_paced_cpu_s_per_gb=%.2f ",
                          mux_paced.cpu_s_per_gb(), plain_paced.cpu_s_per_gb());
        }

        if (parts.head_of_line) {
            // B (iperf3) on a one-carrier pool, alone and beside a stream A whose far end
            // never reads (A stalls on its window; B must not), taking turns: alone, beside,
            // alone, ... so drift on the shared cores hits both; medians compared.
            auto sink = topology.spawn_in_server(
                {"socat", "TCP-LISTEN:" + std::to_string(kStallPort) + ",reuseaddr,fork",
                 "SYSTEM:sleep 3600"});
            if (!test::wait_for_tcp_port(server_v4, kStallPort, 10s, topology.server_ns()))
                throw std::runtime_error("the stalling sink did not start");
            const outbound::Target stall_target{
                .domain = "", .address = server_address, .port = kStallPort, .resolved = {}};
            std::vector<ThroughputFigures> alone_runs, beside_runs;
            std::size_t a_taken = 0;
            for (int round = 0; round < kRounds; ++round) {
                alone_runs.push_back(measure_relay(topology, client.single_listener->port(),
                                                   seconds, mux_server.pid()));
                const std::size_t taken =
                    stall_a_stream(loop, *client.mux_single, stall_target, client.stalled);
                if (taken == 0) all_ok = false;
                a_taken = std::max(a_taken, taken);
                beside_runs.push_back(measure_relay(topology, client.single_listener->port(),
                                                    seconds, mux_server.pid()));
                loop.call([&] {
                    if (client.stalled) client.stalled->close(false);
                    client.stalled.reset();
                });
            }
            for (const auto* runs : {&alone_runs, &beside_runs})
                for (const auto& run : *runs) all_ok = all_ok && run.iperf.ok;
            const auto alone = median_run(alone_runs);
            const auto beside = median_run(beside_runs);
            const double ratio =
                alone.iperf.gbit_per_s > 0 ? beside.iperf.gbit_per_s / alone.iperf.gbit_per_s : 0;
            std::printf(
                "  head-of-line, one carrier, median of %d: B %.2f Gbit/s alone, %.2f beside A "
                "(stalled after %zu KiB): %.2f of alone (>= 0.9: %s)\n",
                kRounds, alone.iperf.gbit_per_s, beside.iperf.gbit_per_s, a_taken / 1024, ratio,
                ratio >= 0.9 ? "met" : "MISSED");
            result += fmt("hol_alone_gbps=%.2f hol_beside_gbps=%.2f hol_ratio=%.2f ",
                          alone.iperf.gbit_per_s, beside.iperf.gbit_per_s, ratio);
        }
        if (parts.tun) {
            const auto figures = measure_tun_mux(topology, mux_server, seconds);
            all_ok = all_ok && figures.ok;
            result += figures.result;
        }
        std::printf("RESULT %snetwork=veth\n", result.c_str());
        if (!all_ok) {
            const std::string log = mux_server.log();
            std::fprintf(stderr, "mux-server log (tail):\n%s\n", test::log_tail(log).c_str());
        }
        return all_ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "bench_outbound: " << e.what() << "\n";
        return 1;
    }
}

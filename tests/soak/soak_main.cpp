// shunt_soak SECONDS OUTDIR [FLOWS]: a real shunt under mixed load with faults for SECONDS
// (run by scripts/soak.sh; CI runs 120 s with the sanitizer build).
//
// In the e2e topology's namespaces: long downloads and short requests through direct,
// SOCKS5 (dante) and mux (shunt's mux-server); FLOWS concurrent UDP flows (default 10,000)
// plus an iperf3 UDP stream; dnsperf on shunt's DNS; a reload every 30 s; the mux-server
// killed and restarted every 5 minutes (once, half-way, in shorter runs). Every 10 s a row
// goes to OUTDIR/soak.csv: RSS, fds, live flows, pool size, error counts.
//
// Leaks are judged between two quiet points: the baseline is taken after a warm-up round
// of the same load has run and drained (caches, pools and the allocator's arenas have
// grown to their working size by then), the final figures after the soak's load drained.
// Pass: every transfer intact, RSS and fds within 5% of the baseline, no RSS climb over
// the last half of the load, no sanitizer report, shunt exits cleanly. The last line:
//   RESULT ok=1 rss_growth_pct=… fd_growth_pct=… transfers=… corrupted=0 …
#include <sys/stat.h>

#include <atomic>
#include <csignal>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/json/parse.hpp>

#include "tests/soak/http_load.hpp"
#include "tests/soak/soak_record.hpp"
#include "tests/soak/udp_flow_load.hpp"
#include "tests/support/api_client.hpp"
#include "tests/support/dante_server.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/mux_server_process.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/process_stats.hpp"
#include "tests/support/server_resolv_conf.hpp"
#include "tests/support/shunt_in_namespace.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kSecret = "soak-secret";
constexpr const char* kMuxSite = "third.e2e.test";
// Names for the UDP loads (direct): through their fake IPs the flows cross the TUN, which
// the servers' real addresses, reached by the client's own default route, would not.
constexpr const char* kUdpSite = "udp.e2e.test";
constexpr const char* kBulkSite = "bulk.e2e.test";
constexpr auto kSampleEvery = 10s;
constexpr auto kReloadEvery = 30s;
constexpr auto kMuxRestartEvery = std::chrono::seconds(300);
constexpr int kUdpIdleSeconds = 20;
constexpr int kDnsNames = 5000;

// SIGINT/SIGTERM end the load early; the soak still drains, judges and cleans up (the
// namespaces and every process in them), and reports ok=0.
std::atomic<bool> g_interrupted = false;

struct Totals {
    HttpLoad::Counters http;
    UdpFlowLoad::Counters udp;
    std::uint64_t dns_sent = 0, dns_lost = 0;
    int iperf_failures = 0;
    int reloads = 0, mux_restarts = 0;
    std::vector<std::string> failures;
    std::map<std::string, std::uint64_t> intact_by_route;
};

std::uint64_t number_after(const std::string& text, const std::string& label) {
    const auto at = text.find(label);
    return at == std::string::npos ? 0
                                   : std::strtoull(text.c_str() + at + label.size(), nullptr, 10);
}

class Soak {
  public:
    Soak(int seconds, std::string outdir, int udp_flows)
        : seconds_(seconds),
          outdir_(std::move(outdir)),
          udp_flows_(udp_flows),
          record_(outdir_ + "/soak.csv") {
        std::ofstream queries(dir_.file("queries.txt"));
        for (int i = 0; i < kDnsNames; ++i) queries << "n" << i << ".soak.example A\n";
    }

    int run() {
        shunt_.start();
        if (!api_.wait_until_up()) throw std::runtime_error("the API did not come up");
        udp_target_ = shunt_.resolve(kUdpSite);
        if (udp_target_.rfind("198.1", 0) != 0)
            throw std::runtime_error(std::string("no fake IP for ") + kUdpSite + ": " +
                                     udp_target_);
        started_ = Clock::now();
        sample("start");

        const int warmup = std::clamp(seconds_ / 4, 20, 120);
        std::printf("== warm-up: %d s of the same load\n", warmup);
        load(warmup, "warmup", false);
        drain();
        const SoakSample baseline = sample("baseline");

        std::printf("== soak: %d s\n", seconds_);
        load(seconds_, "load", true);
        drain();
        const SoakSample final_sample = sample("final");
        return judge(baseline, final_sample);
    }

  private:
    // www.e2e.test direct, second.e2e.test through dante, third.e2e.test through mux.
    ShuntInNamespace::Options make_options() const {
        ShuntInNamespace::Options options;
        options.top_level = std::string("rules = [\"DOMAIN,") + E2eTopology::kSecondSite +
                            ",socks\", \"DOMAIN," + kMuxSite + ",vps\", \"MATCH,DIRECT\"]\n" +
                            "[[proxies]]\nname = \"socks\"\ntype = \"socks5\"\nserver = \"" +
                            topology_.server_v4() + "\"\nport = 1080\n" +
                            "[[proxies]]\nname = \"vps\"\ntype = \"mux\"\nserver = \"" +
                            topology_.server_v4() +
                            "\"\nport = " + std::to_string(MuxServerProcess::kDefaultPort) +
                            "\npassword = \"soak-secret\"\nca = \"" + ca_.ca_file() +
                            "\"\nsni = \"mux.e2e.test\"\n";
        // The default max_udp_sessions (4096) would recycle the 10,000 flows' sessions.
        options.extra_tun = "udp_idle_timeout_s = " + std::to_string(kUdpIdleSeconds) +
                            "\nmax_udp_sessions = 16384\n";
        options.extra_sections = std::string("[api]\nsecret = \"") + kSecret + "\"\n";
        options.log_level = "info";
        return options;
    }

    // One round of the whole load for `seconds`, sampled every 10 s.
    void load(int seconds, const char* phase, bool restarts) {
        HttpLoad http({.topology = &topology_,
                       .routes = {{"direct", E2eTopology::kWebSite},
                                  {"socks", E2eTopology::kSecondSite},
                                  {"mux", kMuxSite}},
                       .long_file = long_file_,
                       .short_file = short_file_,
                       .short_pause = 200ms});
        UdpFlowLoad udp({.netns = topology_.client_ns(),
                         .target_address = udp_target_,
                         .target_port = 7,
                         .flows = udp_flows_,
                         .interval = 5000ms});
        auto dnsperf = topology_.spawn_in_client(
            {"dnsperf", "-s", "127.0.0.1", "-p", "53", "-d", dir_.file("queries.txt"), "-Q", "200",
             "-l", std::to_string(seconds)},
            {.netns = "", .stdout_path = dir_.file("dnsperf.out"), .stderr_path = "", .env = {}});
        const auto begin = Clock::now();
        const auto end = begin + std::chrono::seconds(seconds);
        // The UDP bulk stream in runs of at most 2 minutes: iperf3's TCP control connection
        // is silent while the stream runs, and shunt closes a TCP flow idle for
        // tcp_idle_timeout_s (300 s), as it should.
        std::vector<std::string> bulk_failures;
        std::thread bulk([&] {
            for (;;) {
                const auto left =
                    std::chrono::duration_cast<std::chrono::seconds>(end - Clock::now());
                if (left < 5s || g_interrupted) return;
                const auto run = std::min<std::chrono::seconds>(left, 120s);
                const auto r =
                    topology_.run_in_client({"iperf3", "-c", kBulkSite, "-u", "-b", "5M", "-l",
                                             "1200", "-t", std::to_string(run.count())},
                                            run + 60s);
                if (r.exit_code != 0)
                    bulk_failures.push_back(
                        "iperf3 UDP: exit " + std::to_string(r.exit_code) + ": " +
                        r.out.substr(r.out.size() > 300 ? r.out.size() - 300 : 0));
            }
        });
        auto next_sample = begin + kSampleEvery;
        auto next_reload = begin + kReloadEvery;
        const auto restart_every = std::min<Clock::duration>(
            kMuxRestartEvery, std::chrono::seconds(std::max(seconds / 2, 1)));
        auto next_restart = begin + restart_every;
        while (Clock::now() < end && !g_interrupted) {
            std::this_thread::sleep_for(200ms);
            const auto now = Clock::now();
            if (now >= next_reload) {
                shunt_.send_reload(options_);
                ++totals_.reloads;
                next_reload += kReloadEvery;
            }
            if (restarts && now >= next_restart && now + 10s < end) {
                http.outage_begins("mux");
                mux_server_.kill9();
                mux_server_.restart();
                http.outage_ends("mux");
                ++totals_.mux_restarts;
                std::printf("   mux-server restarted at %.0f s\n", elapsed());
                next_restart += restart_every;
            }
            if (now >= next_sample) {
                sample(phase, &http, &udp);
                next_sample += kSampleEvery;
            }
        }
        http.stop();
        udp.stop();
        const auto h = http.counters();
        const auto u = udp.counters();
        sample(phase, &http, &udp);
        totals_.http.transfers += h.transfers;
        totals_.http.intact += h.intact;
        totals_.http.corrupted += h.corrupted;
        totals_.http.failed += h.failed;
        totals_.http.interrupted += h.interrupted;
        totals_.udp.sent += u.sent;
        totals_.udp.answered += u.answered;
        totals_.udp.lost += u.lost;
        totals_.udp.corrupted += u.corrupted;
        for (const auto& f : http.failures()) totals_.failures.push_back(f);
        for (const auto& [route, count] : http.intact_by_route())
            totals_.intact_by_route[route] += count;

        const auto dns_exit = dnsperf->wait(60s);
        const std::string dns_out = read_file(dir_.file("dnsperf.out"));
        totals_.dns_sent += number_after(dns_out, "Queries sent:");
        totals_.dns_lost += number_after(dns_out, "Queries lost:");
        if (dns_exit != 0) totals_.failures.push_back("dnsperf: exit " + describe(dns_exit));
        bulk.join();
        totals_.iperf_failures += static_cast<int>(bulk_failures.size());
        for (const auto& f : bulk_failures) totals_.failures.push_back(f);
        std::printf(
            "   %s: %llu transfers (%llu intact, %llu interrupted by restarts), "
            "%llu UDP requests (%llu lost), dnsperf: %s\n",
            phase, static_cast<unsigned long long>(h.transfers),
            static_cast<unsigned long long>(h.intact),
            static_cast<unsigned long long>(h.interrupted), static_cast<unsigned long long>(u.sent),
            static_cast<unsigned long long>(u.lost), summary_line(dns_out).c_str());
    }

    // Waits until every flow is gone (UDP flows after their idle timeout).
    void drain() {
        const auto deadline = Clock::now() + std::chrono::seconds(kUdpIdleSeconds + 60);
        for (;;) {
            std::this_thread::sleep_for(5s);
            const SoakSample s = sample("drain");
            if ((s.tcp_flows == 0 && s.udp_flows == 0) || Clock::now() > deadline || g_interrupted)
                break;
        }
    }

    SoakSample sample(const char* phase, const HttpLoad* http = nullptr,
                      const UdpFlowLoad* udp = nullptr) {
        SoakSample s;
        s.t = elapsed();
        s.phase = phase;
        s.rss_kb = memory_usage(shunt_.pid()).rss_kb;
        s.fds = shunt_.open_fds();
        if (const auto flows = api_.flow_counts()) {
            s.tcp_flows = flows->tcp;
            s.udp_flows = flows->udp;
        }
        const auto stats = api_.get("/dns/stats");
        if (stats.status == 200) {
            const auto json = boost::json::parse(stats.body);
            s.pool_size = json.at("fakeIp").at("ipv4").at("size").to_number<long>();
            s.dns_servfail = json.at("servfail").to_number<std::uint64_t>();
        }
        HttpLoad::Counters h = totals_.http;
        UdpFlowLoad::Counters u = totals_.udp;
        if (http) {
            const auto now = http->counters();
            h.transfers += now.transfers;
            h.corrupted += now.corrupted;
            h.failed += now.failed;
            h.interrupted += now.interrupted;
        }
        if (udp) {
            const auto now = udp->counters();
            u.sent += now.sent;
            u.lost += now.lost;
            u.corrupted += now.corrupted;
        }
        s.transfers = h.transfers;
        s.corrupted = h.corrupted;
        s.failed = h.failed;
        s.interrupted = h.interrupted;
        s.udp_sent = u.sent;
        s.udp_lost = u.lost;
        s.udp_corrupted = u.corrupted;
        const std::string log = shunt_.log();
        s.log_warnings = lines_with_level(log);
        record_.add(s);
        std::printf("%6.0f s %-8s rss %6ld kB fds %5d tcp %4d udp %5d pool %5ld\n", s.t, phase,
                    s.rss_kb, s.fds, s.tcp_flows, s.udp_flows, s.pool_size);
        std::fflush(stdout);
        return s;
    }

    int judge(const SoakSample& baseline, const SoakSample& final_sample) {
        const auto stopped = shunt_.stop(30s);
        const std::string log = shunt_.log();
        std::filesystem::copy_file(shunt_.log_path(), outdir_ + "/shunt.log",
                                   std::filesystem::copy_options::overwrite_existing);
        const bool sanitizer = log.find("ERROR: AddressSanitizer") != std::string::npos ||
                               log.find("ERROR: LeakSanitizer") != std::string::npos ||
                               log.find("runtime error:") != std::string::npos;
        const auto applied = count_occurrences(log, "reloaded ");

        const double rss_growth =
            100.0 * static_cast<double>(final_sample.rss_kb - baseline.rss_kb) / baseline.rss_kb;
        const double fd_growth = 100.0 * (final_sample.fds - baseline.fds) / baseline.fds;
        const double trend = record_.rss_trend_pct();
        const double udp_lost_pct =
            totals_.udp.sent ? 100.0 * totals_.udp.lost / totals_.udp.sent : 0;
        const double dns_lost_pct =
            totals_.dns_sent ? 100.0 * totals_.dns_lost / totals_.dns_sent : 0;

        std::vector<std::string> problems = totals_.failures;
        if (g_interrupted) problems.push_back("interrupted by a signal");
        auto require = [&](bool good, const std::string& what) {
            if (!good) problems.push_back(what);
        };
        require(stopped == 0, "shunt did not exit cleanly on SIGTERM");
        require(!sanitizer, "a sanitizer report in shunt's log");
        require(totals_.http.corrupted == 0 && totals_.udp.corrupted == 0, "corrupted transfers");
        require(totals_.http.failed == 0, "transfers failed outside a restart");
        require(rss_growth <= 5.0, "RSS grew more than 5% over the baseline");
        require(fd_growth <= 5.0, "open fds grew more than 5% over the baseline");
        require(trend <= 5.0, "RSS climbed over the last half of the load");
        require(applied >= static_cast<std::size_t>(totals_.reloads), "a reload was not applied");
        require(udp_lost_pct <= 1.0, "more than 1% of UDP requests lost");
        require(dns_lost_pct <= 1.0, "more than 1% of dnsperf's queries lost");
        require(totals_.iperf_failures == 0, "the iperf3 UDP stream failed");
        // Nothing left behind, nothing refused, and the load really ran.
        require(final_sample.tcp_flows == 0 && final_sample.udp_flows == 0,
                "flows still live after the load drained");
        require(final_sample.dns_servfail == 0, "shunt answered SERVFAIL");
        require(unexpected_warnings(log) == 0, "warnings in shunt's log besides the mux restarts'");
        for (const char* route : {"direct", "socks", "mux"})
            require(totals_.intact_by_route[route] > 0,
                    std::string("no intact transfer through ") + route);
        require(totals_.udp.answered > 0, "no UDP request answered");
        require(totals_.http.interrupted <= 3u * static_cast<unsigned>(totals_.mux_restarts),
                "more transfers interrupted than the mux-server restarts explain");

        std::string plot_error;
        if (!record_.plot(outdir_ + "/soak.png", plot_error)) problems.push_back(plot_error);
        for (const auto& p : problems) std::printf("PROBLEM: %s\n", p.c_str());
        std::printf(
            "baseline rss %ld kB fds %d; final rss %ld kB fds %d; reloads %d (%zu applied), "
            "mux-server restarts %d\n",
            baseline.rss_kb, baseline.fds, final_sample.rss_kb, final_sample.fds, totals_.reloads,
            applied, totals_.mux_restarts);
        std::printf(
            "RESULT ok=%d rss_growth_pct=%.1f fd_growth_pct=%.1f transfers=%llu corrupted=%llu "
            "failed=%llu interrupted=%llu udp_requests=%llu udp_lost_pct=%.2f "
            "dns_queries=%llu dns_lost_pct=%.2f rss_trend_pct=%.1f rss_baseline_kb=%ld "
            "rss_final_kb=%ld fds_baseline=%d fds_final=%d reloads=%d mux_restarts=%d "
            "seconds=%d\n",
            problems.empty() ? 1 : 0, rss_growth, fd_growth,
            static_cast<unsigned long long>(totals_.http.transfers),
            static_cast<unsigned long long>(totals_.http.corrupted + totals_.udp.corrupted),
            static_cast<unsigned long long>(totals_.http.failed),
            static_cast<unsigned long long>(totals_.http.interrupted),
            static_cast<unsigned long long>(totals_.udp.sent), udp_lost_pct,
            static_cast<unsigned long long>(totals_.dns_sent), dns_lost_pct, trend, baseline.rss_kb,
            final_sample.rss_kb, baseline.fds, final_sample.fds, totals_.reloads,
            totals_.mux_restarts, seconds_);
        return problems.empty() ? 0 : 1;
    }

    double elapsed() const {
        return std::chrono::duration<double>(Clock::now() - started_).count();
    }
    static std::string describe(const std::optional<int>& exit) {
        return exit ? std::to_string(*exit) : std::string("none (still running)");
    }
    static std::string summary_line(const std::string& dnsperf_out) {
        const auto at = dnsperf_out.find("Queries per second:");
        if (at == std::string::npos) return "no summary";
        return dnsperf_out.substr(at, dnsperf_out.find('\n', at) - at);
    }
    // Warning or error lines other than the mux carriers lost at a deliberate restart.
    static std::uint64_t unexpected_warnings(const std::string& log) {
        return lines_with_level(log) - lines_with_level(log, "carrier");
    }
    // Lines at warning or error level in shunt's log ("2026-12-05 18:00:00.000 warning ...").
    static std::uint64_t lines_with_level(const std::string& log,
                                          std::string_view containing = "") {
        constexpr std::size_t kStamp = 24;  // "YYYY-mm-dd HH:MM:SS.mmm "
        std::uint64_t count = 0;
        for (std::size_t at = 0; at < log.size();) {
            const std::size_t end = std::min(log.find('\n', at), log.size());
            const std::string_view line(log.data() + at, end - at);
            if (line.size() > kStamp &&
                (line.substr(kStamp).starts_with("warning") ||
                 line.substr(kStamp).starts_with("error")) &&
                line.find(containing) != std::string_view::npos)
                ++count;
            at = end + 1;
        }
        return count;
    }

    int seconds_;
    std::string outdir_;
    int udp_flows_;
    SoakRecord record_;
    TempDir dir_;
    E2eTopology topology_{
        {.start_dns = true,
         .extra_dns_records = {
             std::string(kMuxSite) + ". 300 IN A " + E2eTopology::kWebV4,
             std::string(kUdpSite) + ". 300 IN A " + E2eTopology::kWebV4,
             std::string(kBulkSite) + ". 300 IN A " + E2eTopology::kSecondWebV4}}};
    NginxServer nginx_{topology_};
    NginxServer::ServedFile long_file_ = nginx_.add_file("long.bin", 3u << 20, 11);
    NginxServer::ServedFile short_file_ = nginx_.add_file("short.bin", 32u << 10, 12);
    ServerResolvConf resolv_conf_{topology_};
    DanteServer dante_{DanteServer::Options{false, "lo", "0.0.0.0/0"},
                       DanteServer::Listen{topology_.server_ns(), topology_.server_v4(), 1080}};
    TestCa ca_;
    TestCertificate certificate_ = ca_.issue("mux.e2e.test", topology_.server_v4());
    MuxServerProcess mux_server_{topology_, certificate_, "soak-secret"};
    UdpEchoServer echo_{topology_.server_ns(), E2eTopology::kWebV4, 7};
    std::unique_ptr<ChildProcess> iperf_server_ = topology_.spawn_in_server(
        {"iperf3", "-s", "-B", E2eTopology::kSecondWebV4, "-p", "5201"},
        {.netns = "", .stdout_path = dir_.file("iperf-server.out"), .stderr_path = "", .env = {}});
    ShuntInNamespace::Options options_ = make_options();
    ShuntInNamespace shunt_{topology_, options_};
    ApiClient api_{topology_.client_ns(), kSecret};
    Clock::time_point started_ = Clock::now();
    Totals totals_;
    std::string udp_target_;  // the fake IP of kUdpSite
};

}  // namespace
}  // namespace shunt::test

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: shunt_soak SECONDS OUTDIR [UDP_FLOWS]\n");
        return 2;
    }
    const int seconds = std::atoi(argv[1]);
    const int flows = argc > 3 ? std::atoi(argv[3]) : 10000;
    if (seconds < 30 || flows < 1) {
        std::fprintf(stderr, "shunt_soak: SECONDS must be at least 30, UDP_FLOWS at least 1\n");
        return 2;
    }
    std::filesystem::create_directories(argv[2]);
    struct sigaction on_signal {};
    on_signal.sa_handler = [](int) { shunt::test::g_interrupted = true; };
    ::sigaction(SIGINT, &on_signal, nullptr);
    ::sigaction(SIGTERM, &on_signal, nullptr);
    // 10,000 UDP sockets here and as many in shunt (which raises its own soft limit).
    shunt::test::raise_fd_limit(static_cast<rlim_t>(flows) + 4096);
    try {
        shunt::test::Soak soak(seconds, argv[2], flows);
        return soak.run();
    } catch (const std::exception& e) {
        std::printf("RESULT ok=0 error=\"%s\"\n", e.what());
        return 1;
    }
}

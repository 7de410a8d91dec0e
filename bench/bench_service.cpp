// bench_service: what a service manager and a small router see of shunt. Time from exec
// to READY=1 (sd_notify, read from a NOTIFY_SOCKET this benchmark binds) and idle
// resident memory, for examples/quickstart.toml and for a router config holding
// Loyalsoldier-sized rule sets (100,000 domains, 10,000 CIDRs), each in a network namespace
// of its own; unbound started the same way (until it answers) is the peer in the same run.
// Also the binary's size, as built and stripped.
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/process_stats.hpp"
#include "tests/support/unbound_server.hpp"

namespace shunt::bench {

using namespace shunt::test;  // process_stats
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
constexpr int kRounds = 5;

// systemd's end of NOTIFY_SOCKET: a datagram socket on a path (an abstract name would be
// confined to this benchmark's network namespace, and shunt runs in another).
class NotifySocket {
  public:
    explicit NotifySocket(std::string path) : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        path_.copy(address.sun_path, sizeof address.sun_path - 1);
        ::unlink(path_.c_str());
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            throw std::runtime_error("bind " + path_);
    }
    ~NotifySocket() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    // Waits for a datagram containing READY=1; false after `timeout`.
    bool wait_ready(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) != 1) continue;
            char buffer[4096];
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n > 0 && std::string(buffer, static_cast<std::size_t>(n)).find("READY=1") !=
                             std::string::npos)
                return true;
        }
        return false;
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    int fd_ = -1;
};

struct Startup {
    double ready_ms = 0;  // median over the rounds
    long rss_kb = 0;      // idle, after the last round's start
};

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

Startup measure_shunt(const test::E2eTopology& topology, const test::TempDir& dir,
                      const std::string& config_name) {
    std::vector<double> times;
    Startup result;
    for (int round = 0; round < kRounds; ++round) {
        ::unlink(dir.file("fakeip.db").c_str());
        NotifySocket notify(dir.file("notify.sock"));
        test::ChildProcess::Options options;
        options.stdout_path = dir.file(config_name + ".log");
        options.stderr_path = dir.file(config_name + ".log");
        options.env = {"NOTIFY_SOCKET=" + notify.path()};
        const auto start = Clock::now();
        auto shunt =
            topology.spawn_in_client({SHUNT_BINARY, "run", "-c", dir.file(config_name)}, options);
        if (!notify.wait_ready(60s))
            throw std::runtime_error("no READY=1 from shunt with " + config_name + ":\n" +
                                     test::read_file(dir.file(config_name + ".log")));
        times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (round + 1 == kRounds) {
            std::this_thread::sleep_for(2s);  // idle: nothing asks it anything
            result.rss_kb = memory_usage(shunt->pid()).rss_kb;
        }
        shunt->signal(SIGTERM);
        shunt->wait(20s);
    }
    result.ready_ms = median(times);
    return result;
}

Startup measure_unbound(const test::E2eTopology& topology) {
    std::vector<double> times;
    Startup result;
    for (int round = 0; round < kRounds; ++round) {
        const auto start = Clock::now();
        test::UnboundServer unbound(
            {}, {.netns = topology.client_ns(), .addresses = {"127.0.0.1"}, .port = 0});
        times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (round + 1 == kRounds) {
            std::this_thread::sleep_for(2s);
            result.rss_kb = memory_usage(unbound.pid()).rss_kb;
        }
    }
    result.ready_ms = median(times);
    return result;
}

std::string quickstart_config(const test::TempDir& dir) {
    std::string config =
        test::read_file(std::string(SHUNT_SOURCE_DIR) + "/examples/quickstart.toml");
    return std::regex_replace(config, std::regex("fake_ip_store = \"[^\"]*\""),
                              "fake_ip_store = \"" + dir.file("fakeip.db") + "\"");
}

// The router's rule sets at the size of the popular Loyalsoldier lists.
std::string router_config(const test::TempDir& dir) {
    {
        std::ofstream domains(dir.file("proxy-domains.txt"));
        for (int i = 0; i < 100'000; ++i)
            domains << "+.site" << i << ".example" << (i % 997) << ".com\n";
        std::ofstream cidrs(dir.file("direct-cidrs.txt"));
        for (int i = 0; i < 10'000; ++i)
            cidrs << (11 + i / 65536) << '.' << ((i / 256) % 256) << '.' << (i % 256) << ".0/24\n";
    }
    return "mode = \"rule\"\n"
           "rules = [\"RULE-SET,proxy-domains,REJECT\", \"RULE-SET,direct-cidrs,DIRECT\",\n"
           "         \"GEOIP,LAN,DIRECT,no-resolve\", \"MATCH,DIRECT\"]\n"
           "[rule_sets.proxy-domains]\npath = \"proxy-domains.txt\"\nbehavior = \"domain\"\n"
           "[rule_sets.direct-cidrs]\npath = \"direct-cidrs.txt\"\nbehavior = \"ipcidr\"\n"
           "[log]\nlevel = \"warn\"\n"
           "[dns]\nlisten = [\"127.0.0.1:1053\"]\nfake_ip_store = \"" +
           dir.file("fakeip.db") +
           "\"\nupstreams = [\"udp://192.0.2.1\"]\n"
           "[tun]\nenable = true\nname = \"shunt0\"\nauto_route = false\nsystem_dns = \"off\"\n"
           "dns_hijack = [\"any:53\"]\n"
           "[api]\nlisten = \"127.0.0.1:9090\"\n";
}

long file_size(const std::string& path) {
    struct stat status {};
    return ::stat(path.c_str(), &status) == 0 ? static_cast<long>(status.st_size) : -1;
}

}  // namespace
}  // namespace shunt::bench

int main() {
    using namespace shunt;
    test::E2eTopology topology;
    test::TempDir dir;
    dir.write("quickstart.toml", bench::quickstart_config(dir));
    dir.write("router.toml", bench::router_config(dir));

    const auto quickstart = bench::measure_shunt(topology, dir, "quickstart.toml");
    const auto router = bench::measure_shunt(topology, dir, "router.toml");
    const auto unbound = bench::measure_unbound(topology);

    const std::string stripped = dir.file("shunt.stripped");
    test::run_command({"strip", "-o", stripped, SHUNT_BINARY});
    const long built = bench::file_size(SHUNT_BINARY);
    const long small = bench::file_size(stripped);

    std::printf("start to READY=1 (median of %d), idle RSS 2 s later:\n", bench::kRounds);
    std::printf("  shunt, examples/quickstart.toml      %7.1f ms  %6ld KB\n", quickstart.ready_ms,
                quickstart.rss_kb);
    std::printf("  shunt, router: 100k domains, 10k CIDRs %5.1f ms  %6ld KB\n", router.ready_ms,
                router.rss_kb);
    std::printf("  unbound (peer), until it answers     %7.1f ms  %6ld KB\n", unbound.ready_ms,
                unbound.rss_kb);
    std::printf("binary: %ld bytes as built, %ld stripped (%s)\n", built, small, SHUNT_BINARY);
    std::printf(
        "RESULT ready_ms_quickstart=%.1f ready_ms_router=%.1f rss_kb_quickstart=%ld "
        "rss_kb_router=%ld unbound_ready_ms=%.1f unbound_rss_kb=%ld "
        "quickstart_rss_vs_unbound=%.2f binary_stripped_bytes=%ld\n",
        quickstart.ready_ms, router.ready_ms, quickstart.rss_kb, router.rss_kb, unbound.ready_ms,
        unbound.rss_kb,
        static_cast<double>(quickstart.rss_kb) / static_cast<double>(unbound.rss_kb), small);
    return 0;
}

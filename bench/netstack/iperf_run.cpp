#include "bench/netstack/iperf_run.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "bench/netstack/perf_recording.hpp"
#include "tests/support/process_stats.hpp"

namespace shunt::bench {

using namespace shunt::test;  // process_stats

namespace {

// The number after `"key":` at or after `from`; nullopt-like -1 when absent. iperf3's -J
// output is regular enough that a JSON library is not worth a dependency here.
double number_after(const std::string& json, const std::string& key, std::size_t from) {
    const auto at = json.find("\"" + key + "\"", from);
    if (at == std::string::npos) return -1;
    const auto colon = json.find(':', at);
    if (colon == std::string::npos) return -1;
    try {
        return std::stod(json.substr(colon + 1, 40));
    } catch (...) {
        return -1;
    }
}

std::string string_after(const std::string& json, const std::string& key) {
    const auto at = json.find("\"" + key + "\"");
    if (at == std::string::npos) return "";
    const auto open = json.find('"', json.find(':', at));
    const auto close = json.find('"', open + 1);
    if (open == std::string::npos || close == std::string::npos) return "";
    return json.substr(open + 1, close - open - 1);
}

}  // namespace

double IperfResult::thread_cpu_s_per_gb(const std::string& name) const {
    const auto it = watched_threads.find(name);
    return it == watched_threads.end() || bytes <= 0 ? 0 : it->second / (bytes / 1e9);
}

std::string IperfResult::threads_text() const {
    std::vector<std::pair<double, std::string>> busiest;
    for (const auto& [name, seconds] : watched_threads) busiest.emplace_back(seconds, name);
    std::sort(busiest.rbegin(), busiest.rend());
    std::string text;
    for (const auto& [seconds, name] : busiest) {
        if (bytes <= 0) break;
        char figure[32];
        std::snprintf(figure, sizeof figure, " %.2f", seconds / (bytes / 1e9));
        text += (text.empty() ? "" : ", ") + name + figure;
    }
    return text;
}

IperfResult run_iperf(const test::E2eTopology& topology, const IperfOptions& options) {
    std::vector<std::string> argv = {"iperf3",
                                     "-c",
                                     options.server,
                                     "-p",
                                     std::to_string(options.port),
                                     "-t",
                                     std::to_string(options.seconds),
                                     "-P",
                                     std::to_string(options.streams),
                                     "-J"};
    if (options.reverse) argv.push_back("-R");
    if (!options.bitrate.empty()) {
        argv.push_back("-b");
        argv.push_back(options.bitrate);
    }
    std::optional<PerfRecording> profile;
    if (options.watched_pid && !options.profile_label.empty())
        profile.emplace(options.watched_pid, options.profile_label);
    const CpuTimes times_before = options.watched_pid ? cpu_times(options.watched_pid) : CpuTimes{};
    const ThreadCpu threads_before =
        options.watched_pid ? thread_cpu_seconds(options.watched_pid) : ThreadCpu{};
    const SyscallCounts calls_before =
        options.watched_pid ? syscall_counts(options.watched_pid) : SyscallCounts{};
    const auto timeout = std::chrono::seconds(options.seconds + 30);
    const auto run = options.client_netns.empty()
                         ? topology.run_in_client(argv, timeout)
                         : test::run_command(argv, timeout, options.client_netns);
    IperfResult result;
    // A forking relay's children end with the connections; their CPU shows in the parent
    // once it reaped them.
    if (options.watch_children) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (options.watched_pid) {
        const CpuTimes after = cpu_times(options.watched_pid);
        result.watched_times = {after.user - times_before.user, after.system - times_before.system,
                                after.children - times_before.children};
        result.watched_cpu_s = result.watched_times.user + result.watched_times.system +
                               (options.watch_children ? result.watched_times.children : 0);
        result.watched_threads =
            thread_cpu_delta(threads_before, thread_cpu_seconds(options.watched_pid));
        const SyscallCounts calls_after = syscall_counts(options.watched_pid);
        result.watched_syscalls = {calls_after.reads - calls_before.reads,
                                   calls_after.writes - calls_before.writes};
    }
    profile.reset();

    const std::string error = string_after(run.out, "error");
    // "end" holds sum_sent and sum_received once each, for one stream or many.
    const auto received = run.out.rfind("\"sum_received\"");
    if (!error.empty() || received == std::string::npos) {
        result.error = error.empty() ? "no sum_received in iperf3 output (exit " +
                                           std::to_string(run.exit_code) + ")"
                                     : error;
        return result;
    }
    result.bytes = number_after(run.out, "bytes", received);
    result.gbit_per_s = number_after(run.out, "bits_per_second", received) / 1e9;
    result.ok = result.bytes > 0 && result.gbit_per_s > 0;
    if (!result.ok) result.error = "iperf3 moved nothing";
    return result;
}

std::unique_ptr<test::ChildProcess> start_iperf_server(const test::E2eTopology& topology, int port,
                                                       const std::string& log_path) {
    auto server = topology.spawn_in_server(
        {"iperf3", "-s", "-p", std::to_string(port)},
        {.netns = "", .stdout_path = log_path, .stderr_path = log_path, .env = {}});
    if (!test::wait_for_tcp_port(topology.server_v4(), port, std::chrono::seconds(10),
                                 topology.server_ns()))
        throw std::runtime_error("iperf3 -s did not start: " + test::read_file(log_path));
    return server;
}

}  // namespace shunt::bench

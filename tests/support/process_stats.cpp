#include "tests/support/process_stats.hpp"

#include <algorithm>

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

namespace shunt::test {

namespace {

// utime, stime, cutime, cstime of one /proc/.../stat file; the name between the
// parentheses into `name`.
CpuTimes stat_cpu_times(const std::string& path, std::string* name) {
    std::ifstream in(path);
    const std::string stat((std::istreambuf_iterator<char>(in)), {});
    const auto open_paren = stat.find('(');
    const auto close_paren = stat.rfind(')');
    if (open_paren == std::string::npos || close_paren == std::string::npos) return {};
    if (name) *name = stat.substr(open_paren + 1, close_paren - open_paren - 1);
    // Fields after "(comm)" start at field 3 (state); utime is 14, stime 15, cutime 16,
    // cstime 17.
    std::istringstream fields(stat.substr(close_paren + 2));
    std::string field;
    unsigned long long ticks[4] = {};
    for (int i = 3; i <= 17 && fields >> field; ++i)
        if (i >= 14) ticks[i - 14] = std::stoull(field);
    const auto hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return {static_cast<double>(ticks[0]) / hz, static_cast<double>(ticks[1]) / hz,
            static_cast<double>(ticks[2] + ticks[3]) / hz};
}

double stat_cpu_seconds(const std::string& path, std::string* name) {
    const CpuTimes t = stat_cpu_times(path, name);
    return t.user + t.system;
}

}  // namespace

double cpu_seconds(pid_t pid) {
    return stat_cpu_seconds("/proc/" + std::to_string(pid) + "/stat", nullptr);
}

CpuTimes cpu_times(pid_t pid) {
    return stat_cpu_times("/proc/" + std::to_string(pid) + "/stat", nullptr);
}

ThreadCpu thread_cpu_seconds(pid_t pid) {
    ThreadCpu threads;
    const std::string task = "/proc/" + std::to_string(pid) + "/task";
    if (DIR* dir = ::opendir(task.c_str())) {
        while (dirent* entry = ::readdir(dir)) {
            if (entry->d_name[0] == '.') continue;
            std::string name;
            const double seconds = stat_cpu_seconds(task + "/" + entry->d_name + "/stat", &name);
            if (!name.empty()) threads[name] += seconds;
        }
        ::closedir(dir);
    }
    return threads;
}

ThreadCpu thread_cpu_delta(const ThreadCpu& before, const ThreadCpu& after) {
    ThreadCpu delta;
    for (const auto& [name, seconds] : after) {
        const auto was = before.find(name);
        delta[name] = seconds - (was == before.end() ? 0.0 : was->second);
    }
    return delta;
}

namespace {

// The number after "KEY:" on each line of /proc/PID/FILE that starts with one of the keys
// (/proc/PID/io: "syscr: 123"; /proc/PID/status: "VmRSS:\t   12345 kB").
template <class OnField>
void read_proc_fields(pid_t pid, const char* file, OnField&& on_field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
    for (std::string line; std::getline(in, line);) {
        const auto colon = line.find(':');
        if (colon != std::string::npos)
            // strtod: 0 for the fields that are not numbers ("Name:\tshunt"), no exception.
            on_field(std::string_view(line).substr(0, colon),
                     std::strtod(line.c_str() + colon + 1, nullptr));
    }
}

}  // namespace

SyscallCounts syscall_counts(pid_t pid) {
    SyscallCounts counts;
    read_proc_fields(pid, "io", [&](std::string_view key, double value) {
        if (key == "syscr") counts.reads = value;
        if (key == "syscw") counts.writes = value;
    });
    return counts;
}

MemoryUsage memory_usage(pid_t pid) {
    MemoryUsage usage;
    read_proc_fields(pid, "status", [&](std::string_view key, double value) {
        if (key == "VmRSS") usage.rss_kb = static_cast<long>(value);
        if (key == "VmHWM") usage.hwm_kb = static_cast<long>(value);
    });
    return usage;
}

int open_fds(pid_t pid) {
    int count = 0;
    const std::string path = "/proc/" + std::to_string(pid) + "/fd";
    if (DIR* dir = ::opendir(path.c_str())) {
        while (dirent* entry = ::readdir(dir))
            if (entry->d_name[0] != '.') ++count;
        ::closedir(dir);
    }
    return count;
}

bool is_running(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    const std::string stat((std::istreambuf_iterator<char>(in)), {});
    const auto close_paren = stat.rfind(')');
    return close_paren != std::string::npos && close_paren + 2 < stat.size() &&
           stat[close_paren + 2] != 'Z' && stat[close_paren + 2] != 'X';
}

rlim_t raise_fd_limit(rlim_t wanted) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

}  // namespace shunt::test

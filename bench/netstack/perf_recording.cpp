#include "bench/netstack/perf_recording.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace shunt::bench {

PerfRecording::PerfRecording(pid_t pid, const std::string& label) {
    const char* dir = std::getenv("SHUNT_BENCH_PROFILE");
    if (dir == nullptr || *dir == '\0' || pid <= 0) return;
    if (::access("/usr/bin/perf", X_OK) != 0) {
        std::fprintf(stderr, "SHUNT_BENCH_PROFILE is set but /usr/bin/perf is missing\n");
        return;
    }
    std::filesystem::create_directories(dir);
    path_ = std::string(dir) + "/" + label + ".perf.data";
    // DWARF unwinding would follow frames without frame pointers, at 10x the file size;
    // the call graph from frame pointers is enough to attribute the leaf functions.
    perf_ = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{"perf", "record", "-q", "-F", "999", "-g", "-p",
                                 std::to_string(pid), "-o", path_},
        test::ChildProcess::Options{
            .netns = "", .stdout_path = "/dev/null", .stderr_path = path_ + ".log", .env = {}});
    // perf attaches within milliseconds; the first samples should be of the measurement.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

PerfRecording::~PerfRecording() {
    if (!perf_) return;
    perf_->signal(SIGINT);  // perf writes its file on SIGINT
    if (!perf_->wait(std::chrono::seconds(30))) perf_->kill();
    std::fprintf(stderr, "  profile: %s\n", path_.c_str());
}

}  // namespace shunt::bench

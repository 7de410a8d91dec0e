// PerfRecording: `perf record -g` on one process for as long as the object lives, so a
// bench can say where the CPU of one measurement went. Only when the environment asks for
// it: SHUNT_BENCH_PROFILE=DIR writes DIR/LABEL.perf.data (read it with
// `perf report -i DIR/LABEL.perf.data --no-children`). Without the variable, or without
// perf installed, it records nothing and costs nothing.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "tests/support/child_process.hpp"

namespace shunt::bench {

class PerfRecording {
  public:
    PerfRecording(pid_t pid, const std::string& label);
    ~PerfRecording();
    PerfRecording(const PerfRecording&) = delete;
    PerfRecording& operator=(const PerfRecording&) = delete;

    bool recording() const { return perf_ != nullptr; }
    const std::string& path() const { return path_; }

  private:
    std::unique_ptr<test::ChildProcess> perf_;
    std::string path_;
};

}  // namespace shunt::bench

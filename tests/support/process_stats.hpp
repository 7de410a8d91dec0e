// What /proc says about one process: CPU time so far, resident memory, open descriptors.
// Benchmarks and the soak sample shunt with these before, during and after a load.
#pragma once

#include <sys/resource.h>

#include <sys/types.h>

#include <map>
#include <string>

namespace shunt::test {

// utime + stime in seconds.
double cpu_seconds(pid_t pid);
// The same split: user space (shunt's own code and libraries) and the kernel (system calls,
// and the softirq work the kernel does in them: on a veth path, much of the peers' TCP).
struct CpuTimes {
    double user = 0;
    double system = 0;
    double children = 0;  // cutime + cstime of reaped children (a forking relay)
};
CpuTimes cpu_times(pid_t pid);

// CPU seconds (utime + stime) of each thread, by the thread's name (comm; threads of
// one name are summed: asio's workers, several carriers' threads).
using ThreadCpu = std::map<std::string, double>;
ThreadCpu thread_cpu_seconds(pid_t pid);
// after - before, per name (threads born during the run count from zero).
ThreadCpu thread_cpu_delta(const ThreadCpu& before, const ThreadCpu& after);

// /proc/PID/io: read-type and write-type system calls so far (read, recv, readv...;
// write, send, writev...). Per GB moved they say how many bytes each call carries.
struct SyscallCounts {
    double reads = 0;
    double writes = 0;
};
SyscallCounts syscall_counts(pid_t pid);

struct MemoryUsage {
    long rss_kb = 0;  // VmRSS: resident now
    long hwm_kb = 0;  // VmHWM: the peak resident so far
};
MemoryUsage memory_usage(pid_t pid);

int open_fds(pid_t pid);

// Raises this process's soft fd limit towards `wanted` (up to the hard limit: raising that
// needs CAP_SYS_RESOURCE, which a container may lack); children inherit it. Returns the
// limit now in force.
rlim_t raise_fd_limit(rlim_t wanted);

// Running (not gone, not a zombie waiting to be reaped).
bool is_running(pid_t pid);

}  // namespace shunt::test

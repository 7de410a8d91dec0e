// What /proc says about one process: CPU time so far, resident memory, open descriptors.
// The benchmark samples shunt with these before and after each measurement.
#pragma once

#include <sys/resource.h>

#include <sys/types.h>

namespace shunt::bench {

// utime + stime in seconds.
double cpu_seconds(pid_t pid);

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

}  // namespace shunt::bench

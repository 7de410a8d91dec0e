#include "app/process_setup.hpp"

#include <sys/resource.h>

#include <csignal>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace shunt {

void prepare_server_process() {
    std::signal(SIGPIPE, SIG_IGN);
    if (rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    // Both processes allocate and free buffers of tens of KB per packet or frame (lwIP's
    // pbufs, the mux's received frames): by default glibc hands the top of the heap back
    // after each burst and page-faults to get it again. Blocks up to 32 MB (glibc's own
    // ceiling for its dynamic threshold) come from the heap too: the API's /connections
    // snapshot is ~5.5 MB at 10,000 flows, and a fresh mapping for each one page-faulted it
    // in every time (bench_api: 30-42 ms a snapshot, 10 ms from the heap).
#ifdef __GLIBC__  // musl (OpenWrt) has neither knob, nor glibc's trimming behaviour
    ::mallopt(M_TRIM_THRESHOLD, 8 << 20);
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}

}  // namespace shunt

#include "app/process_setup.hpp"

#include <sys/resource.h>

#include <csignal>

namespace shunt {

void prepare_server_process() {
    std::signal(SIGPIPE, SIG_IGN);
    if (rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace shunt

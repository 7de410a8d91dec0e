// Runs a function on a thread inside an existing network namespace (`ip netns add`-ed),
// leaving the calling thread where it is: for tests that need sockets in a namespace
// while the test itself keeps running programs in others.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>

namespace shunt::test {

inline void run_in_netns(const std::string& netns, const std::function<void()>& body) {
    std::string error;
    std::thread worker([&] {
        const int fd = ::open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
            error = "enter " + netns + ": " + std::strerror(errno);
            if (fd >= 0) ::close(fd);
            return;
        }
        ::close(fd);
        body();
    });
    worker.join();
    if (!error.empty()) throw std::runtime_error(error);
}

}  // namespace shunt::test

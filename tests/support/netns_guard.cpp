#include "tests/support/netns_guard.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "tests/support/child_process.hpp"

namespace shunt::test {

namespace {

std::atomic<int> next_id{0};

void delete_namespace(const std::string& name) {
    run_command({"ip", "netns", "delete", name}, std::chrono::seconds(10));
}

}  // namespace

NetnsGuard::NetnsGuard(const std::string& prefix)
    : name_(prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(next_id++)) {
    // The thread's own namespace (not the process's): a nested guard on another thread
    // must return to where that thread was.
    original_fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original_fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "open own network namespace");
    }
    if (run_command({"ip", "netns", "add", name_}, std::chrono::seconds(10)).exit_code != 0) {
        ::close(original_fd_);
        throw std::runtime_error("ip netns add " + name_ + " failed");
    }
    const std::string path = "/run/netns/" + name_;
    const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    const int error = errno;
    if (target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
        const int setns_error = target < 0 ? error : errno;
        if (target >= 0) ::close(target);
        ::close(original_fd_);
        delete_namespace(name_);
        throw std::system_error(setns_error, std::generic_category(), "enter netns " + name_);
    }
    ::close(target);
    run_command({"ip", "-n", name_, "link", "set", "lo", "up"}, std::chrono::seconds(10));
}

NetnsGuard::~NetnsGuard() {
    if (::setns(original_fd_, CLONE_NEWNET) != 0) {
        std::perror("NetnsGuard: setns back to the original namespace");
    }
    ::close(original_fd_);
    delete_namespace(name_);
}

}  // namespace shunt::test

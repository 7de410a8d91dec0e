#include "bench/netstack/idle_connections.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace shunt::bench {

namespace {

sockaddr_in v4_address(const std::string& address, int port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1)
        throw std::runtime_error("not an IPv4 address: " + address);
    return sa;
}

// A non-blocking connect that waits for the handshake; the fd, or -1.
int connect_within(const sockaddr_in& target, std::chrono::milliseconds timeout) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) == 0) return fd;
    if (errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int error = 0;
        socklen_t length = sizeof error;
        if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1 &&
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0)
            return fd;
    }
    ::close(fd);
    return -1;
}

// Written to a temporary name and renamed, so a reader never sees half a number.
void write_count(const std::string& path, std::size_t count) {
    const std::string temporary = path + ".tmp";
    std::ofstream(temporary) << count << "\n";
    std::rename(temporary.c_str(), path.c_str());
}

std::string self_executable() {
    return std::filesystem::read_symlink("/proc/self/exe").string();
}

}  // namespace

void run_in_netns(const std::string& netns, const std::function<void()>& work) {
    std::exception_ptr failure;
    std::thread worker([&] {
        try {
            const std::string path = "/run/netns/" + netns;
            const int ns_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (ns_fd < 0) throw std::runtime_error("cannot open " + path);
            // setns affects only this thread; it ends with the work.
            const int joined = ::setns(ns_fd, CLONE_NEWNET);
            ::close(ns_fd);
            if (joined != 0)
                throw std::runtime_error("setns " + netns + ": " + std::strerror(errno));
            work();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    worker.join();
    if (failure) std::rethrow_exception(failure);
}

int run_acceptor(int port, const std::string& count_file) {
    const int listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const auto any = v4_address("0.0.0.0", port);
    if (listen_fd < 0 || ::bind(listen_fd, reinterpret_cast<const sockaddr*>(&any), sizeof any) ||
        ::listen(listen_fd, 4096)) {
        std::perror("acceptor: bind/listen");
        return 1;
    }
    std::vector<int> held;
    write_count(count_file, 0);
    for (;;) {
        const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                std::perror("acceptor: accept");
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            continue;
        }
        held.push_back(fd);
        // Batch the file updates: a burst of accepts costs one write.
        pollfd p{listen_fd, POLLIN, 0};
        if (::poll(&p, 1, 0) == 0) write_count(count_file, held.size());
    }
}

IdleConnections::IdleConnections(Options options) : options_(std::move(options)) {
    test::ChildProcess::Options child;
    child.netns = options_.server_ns;
    child.stderr_path = dir_.file("acceptor.log");
    acceptor_ = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{self_executable(), kAcceptorFlag,
                                 std::to_string(options_.listen_port), dir_.file("accepted")},
        child);
    for (int i = 0; i < 200 && !std::filesystem::exists(dir_.file("accepted")); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (!std::filesystem::exists(dir_.file("accepted")))
        throw std::runtime_error("the acceptor did not start listening");
}

IdleConnections::~IdleConnections() {
    close_all();
}

int IdleConnections::open() {
    const auto target = v4_address(options_.target_v4, options_.listen_port);
    run_in_netns(options_.client_ns, [&] {
        client_fds_.reserve(static_cast<std::size_t>(options_.count));
        int failed_in_a_row = 0;
        // A dead shunt would make every connect wait its 5 s: stop after a run of failures.
        for (int i = 0; i < options_.count && failed_in_a_row < 20; ++i) {
            const int fd = connect_within(target, std::chrono::seconds(5));
            failed_in_a_row = fd >= 0 ? 0 : failed_in_a_row + 1;
            if (fd >= 0) client_fds_.push_back(fd);
        }
    });
    return static_cast<int>(client_fds_.size());
}

int IdleConnections::accepted() const {
    std::ifstream in(dir_.file("accepted"));
    int count = 0;
    in >> count;
    return count;
}

int IdleConnections::wait_accepted(int count, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (accepted() < count && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return accepted();
}

void IdleConnections::close_all() {
    const bool had_clients = !client_fds_.empty();
    for (int fd : client_fds_) ::close(fd);
    client_fds_.clear();
    // Let the FINs travel through shunt first: the server then sees an orderly end.
    if (had_clients) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    acceptor_.reset();  // kills and reaps it; the kernel closes its sockets
}

}  // namespace shunt::bench

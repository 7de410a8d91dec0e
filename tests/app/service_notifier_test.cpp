// ServiceNotifier against a datagram socket standing in for systemd's NOTIFY_SOCKET, by
// path and in the abstract namespace: the messages systemd parses, and nothing at all
// without the variable.
#include "app/service_notifier.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

#include "tests/support/child_process.hpp"

namespace shunt::app {
namespace {

// The receiving end: what systemd binds.
class NotifySocket {
  public:
    explicit NotifySocket(const std::string& address) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::memcpy(sa.sun_path, address.data(), address.size());
        if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                                   address.size() + (address[0] == '@' ? 0 : 1));
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), length), 0) << std::strerror(errno);
        ::setenv("NOTIFY_SOCKET", address.c_str(), 1);
    }
    ~NotifySocket() {
        ::close(fd_);
        ::unsetenv("NOTIFY_SOCKET");
    }
    // The next datagram, "" after a second without one.
    std::string receive() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 1000) != 1) return "";
        char buffer[4096];
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
    }

  private:
    int fd_ = -1;
};

std::uint64_t monotonic_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 +
           static_cast<std::uint64_t>(now.tv_nsec) / 1'000;
}

TEST(ServiceNotifier, SpeaksSystemdsProtocolOnAPathSocket) {
    test::TempDir dir;
    NotifySocket systemd(dir.file("notify"));
    ServiceNotifier notifier;
    ASSERT_TRUE(notifier.enabled());
    // Taken out of the environment: programs shunt runs must not speak for it.
    EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);

    notifier.ready("mode rule, 0 TCP flows\nsecond line");
    EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=mode rule, 0 TCP flows second line");

    const auto before = monotonic_usec();
    notifier.reloading();
    const std::string reloading = systemd.receive();
    const auto after = monotonic_usec();
    ASSERT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
    const auto stamp = std::stoull(reloading.substr(reloading.find('=', 12) + 1));
    EXPECT_GE(stamp, before);
    EXPECT_LE(stamp, after);

    notifier.status("12 TCP flows");
    EXPECT_EQ(systemd.receive(), "STATUS=12 TCP flows");
    notifier.stopping();
    EXPECT_EQ(systemd.receive(), "STOPPING=1\nSTATUS=stopping");
}

TEST(ServiceNotifier, ReachesAnAbstractSocket) {
    const std::string address = "@shunt-notify-test-" + std::to_string(::getpid());
    NotifySocket systemd(address);
    ServiceNotifier notifier;
    notifier.ready("up");
    EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=up");
}

TEST(ServiceNotifier, DoesNothingOutsideSystemd) {
    ::unsetenv("NOTIFY_SOCKET");
    ServiceNotifier notifier;
    EXPECT_FALSE(notifier.enabled());
    notifier.ready("x");  // no socket, no error
}

TEST(ServiceNotifier, AGoneSystemdIsNotAnError) {
    test::TempDir dir;
    ::setenv("NOTIFY_SOCKET", dir.file("nobody-listens").c_str(), 1);
    ServiceNotifier notifier;
    EXPECT_TRUE(notifier.enabled());
    notifier.ready("x");
    notifier.status("y");  // logged once, never thrown
}

}  // namespace
}  // namespace shunt::app

#include "app/service_notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace shunt::app {

namespace {

std::string status_line(std::string_view status) {
    std::string line = "STATUS=";
    for (char c : status) line += c == '\n' ? ' ' : c;
    return line;
}

}  // namespace

ServiceNotifier::ServiceNotifier() {
    const char* address = std::getenv("NOTIFY_SOCKET");
    if (!address || !*address) return;
    address_ = address;
    ::unsetenv("NOTIFY_SOCKET");
    if ((address_[0] != '/' && address_[0] != '@') ||
        address_.size() >= sizeof(sockaddr_un::sun_path)) {
        spdlog::warn("NOTIFY_SOCKET \"{}\" is not a unix socket address; not telling systemd",
                     address_);
        return;
    }
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) spdlog::warn("NOTIFY_SOCKET: socket: {}", std::strerror(errno));
}

ServiceNotifier::~ServiceNotifier() {
    if (fd_ >= 0) ::close(fd_);
}

void ServiceNotifier::ready(std::string_view status) {
    send("READY=1\n" + status_line(status));
}

void ServiceNotifier::reloading() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
                      static_cast<unsigned long long>(now.tv_nsec) / 1'000ULL;
    send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\n" + status_line("reloading"));
}

void ServiceNotifier::stopping() {
    send("STOPPING=1\n" + status_line("stopping"));
}

void ServiceNotifier::status(std::string_view status) {
    send(status_line(status));
}

void ServiceNotifier::send(const std::string& message) noexcept {
    if (fd_ < 0) return;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, address_.data(), address_.size());
    // "@name" is the abstract namespace: a leading NUL, and no terminating one counted.
    if (address.sun_path[0] == '@') address.sun_path[0] = '\0';
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() +
                                               (address_[0] == '@' ? 0 : 1));
    if (::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&address), length) < 0 &&
        !failure_logged_) {
        failure_logged_ = true;
        spdlog::warn("NOTIFY_SOCKET {}: {} (systemd is not told about shunt's state)", address_,
                     std::strerror(errno));
    }
}

}  // namespace shunt::app

// Real sockets and real processes for the socket-owner tests: a listener or UDP receiver
// the test owns, and a python3 child that connects or sends to it, so the kernel holds a
// socket owned by a known pid.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/ip_address.hpp"
#include "tests/support/child_process.hpp"

namespace shunt::rules::test {

inline Endpoint endpoint_of(const sockaddr_storage& storage) {
    if (storage.ss_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(storage);
        return Endpoint{IpAddress::from_v4(ntohl(v4.sin_addr.s_addr)), ntohs(v4.sin_port)};
    }
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(storage);
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &v6.sin6_addr, 16);
    return Endpoint{IpAddress::from_v6(bytes), ntohs(v6.sin6_port)};
}

inline sockaddr_storage sockaddr_of(const Endpoint& endpoint, socklen_t& length) {
    sockaddr_storage storage{};
    if (endpoint.address.is_v4()) {
        auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
        v4.sin_family = AF_INET;
        v4.sin_port = htons(endpoint.port);
        v4.sin_addr.s_addr = htonl(endpoint.address.v4());
        length = sizeof v4;
    } else {
        auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(endpoint.port);
        std::memcpy(&v6.sin6_addr, endpoint.address.bytes().data(), 16);
        length = sizeof v6;
    }
    return storage;
}

// A socket bound to `host` (port chosen by the kernel): SOCK_STREAM listens, SOCK_DGRAM
// receives datagrams.
class TestSocket {
  public:
    TestSocket(const std::string& host, int type) : type_(type) {
        const auto address_parsed = IpAddress::parse(host);
        if (!address_parsed) throw std::runtime_error("bad address " + host);
        local_ = Endpoint{*address_parsed, 0};
        fd_ = ::socket(local_.address.is_v4() ? AF_INET : AF_INET6, type | SOCK_CLOEXEC, 0);
        socklen_t length = 0;
        auto address = sockaddr_of(local_, length);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0)
            throw std::runtime_error("bind " + local_.to_string() + ": " + std::strerror(errno));
        if (type == SOCK_STREAM && ::listen(fd_, 8) != 0) throw std::runtime_error("listen");
        sockaddr_storage bound{};
        length = sizeof bound;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &length);
        local_ = endpoint_of(bound);
    }
    ~TestSocket() {
        for (int fd : accepted_) ::close(fd);
        ::close(fd_);
    }
    TestSocket(const TestSocket&) = delete;
    TestSocket& operator=(const TestSocket&) = delete;

    const Endpoint& local() const { return local_; }

    // The peer of the next connection (TCP) or datagram (UDP); nullopt after 5 s.
    std::optional<Endpoint> next_peer() {
        pollfd waiting{fd_, POLLIN, 0};
        if (::poll(&waiting, 1, 5000) != 1) return std::nullopt;
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        if (type_ == SOCK_STREAM) {
            const int fd =
                ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
            if (fd < 0) return std::nullopt;
            accepted_.push_back(fd);
        } else {
            char byte;
            if (::recvfrom(fd_, &byte, 1, 0, reinterpret_cast<sockaddr*>(&peer), &length) < 0)
                return std::nullopt;
        }
        last_peer_ = endpoint_of(peer);
        return last_peer_;
    }

    // Tells the child to open its next socket (see spawn_client).
    void poke_last_peer() {
        char byte = 'x';
        if (type_ == SOCK_STREAM) {
            ::send(accepted_.back(), &byte, 1, MSG_NOSIGNAL);
        } else {
            socklen_t length = 0;
            auto address = sockaddr_of(last_peer_, length);
            ::sendto(fd_, &byte, 1, 0, reinterpret_cast<sockaddr*>(&address), length);
        }
    }

  private:
    int type_;
    int fd_ = -1;
    Endpoint local_;
    Endpoint last_peer_;
    std::vector<int> accepted_;
};

inline std::string python_binary() {
    return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

// python3 opens `count` sockets to host:port one after another (TCP connect or UDP
// sendto, from an AF_INET6 socket when `family6`), waiting for a poke between them,
// then sleeps until killed.
inline std::unique_ptr<shunt::test::ChildProcess> spawn_client(const std::string& host, int port,
                                                               bool udp, int count = 1,
                                                               bool family6 = false) {
    static const char* script = R"(
import socket, sys, time
host, port, udp, count, v6 = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1', int(sys.argv[4]), sys.argv[5] == '1'
family = socket.AF_INET6 if v6 or ':' in host else socket.AF_INET
held = []
for i in range(count):
    s = socket.socket(family, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    if udp:
        s.sendto(b'x', (host, port))
    else:
        s.connect((host, port))
    held.append(s)
    if i + 1 < count:
        s.recv(1)
time.sleep(60)
)";
    return std::make_unique<shunt::test::ChildProcess>(
        std::vector<std::string>{python_binary(), "-c", script, host, std::to_string(port),
                                 udp ? "1" : "0", std::to_string(count), family6 ? "1" : "0"});
}

}  // namespace shunt::rules::test

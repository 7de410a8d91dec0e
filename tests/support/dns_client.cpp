#include "tests/support/dns_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace shunt::test {

namespace {

sockaddr_in loopback(int port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> udp_exchange(int port,
                                                      std::span<const std::uint8_t> packet,
                                                      std::chrono::milliseconds timeout) {
    UdpDnsClient client(port);
    client.send(packet);
    return client.receive(timeout);
}

UdpDnsClient::UdpDnsClient(int port) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)), port_(port) {
    if (fd_ < 0) throw std::runtime_error("cannot open a UDP socket");
}

UdpDnsClient::~UdpDnsClient() {
    ::close(fd_);
}

void UdpDnsClient::send(std::span<const std::uint8_t> packet) {
    auto sa = loopback(port_);
    ::sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
}

std::optional<std::vector<std::uint8_t>> UdpDnsClient::receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    std::vector<std::uint8_t> buffer(65535);
    const auto n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
}

TcpDnsClient::TcpDnsClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    auto sa = loopback(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd_);
        throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
}

TcpDnsClient::~TcpDnsClient() {
    ::close(fd_);
}

void TcpDnsClient::send_raw(std::span<const std::uint8_t> bytes) {
    ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

void TcpDnsClient::send_framed(std::span<const std::uint8_t> message) {
    std::vector<std::uint8_t> framed = {static_cast<std::uint8_t>(message.size() >> 8),
                                        static_cast<std::uint8_t>(message.size())};
    framed.insert(framed.end(), message.begin(), message.end());
    send_raw(framed);
}

bool TcpDnsClient::read_exact(std::uint8_t* out, std::size_t size,
                              std::chrono::steady_clock::time_point deadline) {
    std::size_t got = 0;
    while (got < size) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) != 1) return false;
        auto n = ::recv(fd_, out + got, size - got, 0);
        if (n <= 0) return false;
        got += static_cast<std::size_t>(n);
    }
    return true;
}

std::optional<std::vector<std::uint8_t>> TcpDnsClient::read_framed(
    std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::uint8_t length[2];
    if (!read_exact(length, 2, deadline)) return std::nullopt;
    std::vector<std::uint8_t> message((length[0] << 8) | length[1]);
    if (!read_exact(message.data(), message.size(), deadline)) return std::nullopt;
    return message;
}

bool TcpDnsClient::closed_by_peer(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::uint8_t byte;
    while (true) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) != 1) return false;
        auto n = ::recv(fd_, &byte, 1, 0);
        if (n <= 0) return true;  // EOF or reset
    }
}

}  // namespace shunt::test

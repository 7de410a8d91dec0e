// Packets built by build_udp_packet, written to a real TUN device: the kernel checks the
// IPv4 header and the UDP checksum (mandatory over IPv6) and delivers them to a socket.
// A packet with a broken checksum is not delivered, so the test can tell.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "netstack/packet/ip_header_writer.hpp"
#include "netstack/packet/udp_datagram.hpp"
#include "tests/netstack/packet/tun_test_loop.hpp"

namespace shunt::netstack {
namespace {

class BoundSocket {
  public:
    explicit BoundSocket(const Endpoint& local) {
        fd_ = ::socket(local.address.is_v4() ? AF_INET : AF_INET6,
                       SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_storage storage{};
        socklen_t length = 0;
        if (local.address.is_v4()) {
            auto* in = reinterpret_cast<sockaddr_in*>(&storage);
            in->sin_family = AF_INET;
            in->sin_port = htons(local.port);
            std::memcpy(&in->sin_addr, local.address.bytes().data(), 4);
            length = sizeof(sockaddr_in);
        } else {
            auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons(local.port);
            std::memcpy(&in6->sin6_addr, local.address.bytes().data(), 16);
            length = sizeof(sockaddr_in6);
        }
        bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) == 0;
    }
    ~BoundSocket() { ::close(fd_); }
    bool bound() const { return bound_; }
    // The datagram received within `timeout_ms`, or nullopt.
    std::optional<std::string> receive(int timeout_ms) {
        pollfd waiting{fd_, POLLIN, 0};
        if (::poll(&waiting, 1, timeout_ms) != 1) return std::nullopt;
        char buffer[2048];
        const ssize_t length = ::recv(fd_, buffer, sizeof buffer, 0);
        if (length < 0) return std::nullopt;
        return std::string(buffer, static_cast<std::size_t>(length));
    }

  private:
    int fd_ = -1;
    bool bound_ = false;
};

void write_built(int tun_fd, const Endpoint& from, const Endpoint& to, const std::string& text,
                 bool corrupt_checksum) {
    std::vector<std::uint8_t> buffer(2048);
    const auto payload = std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    const std::size_t length = build_udp_packet({from, to, payload}, buffer);
    ASSERT_GT(length, 0u);
    const std::size_t udp_checksum = ip_header_size(from.address.family()) + 6;
    if (corrupt_checksum) buffer[udp_checksum] ^= 0x01;
    ASSERT_EQ(::write(tun_fd, buffer.data(), length), static_cast<ssize_t>(length));
}

TEST(UdpPacketKernelTest, KernelAcceptsBuiltIpv4AndIpv6Datagrams) {
    shunt::test::NetnsGuard netns;
    test::CapturingTun tun("shunt-u0");
    for (const char* local_text : {"198.18.0.1:4321", "[fd00:5::1]:4321"}) {
        const Endpoint local = *Endpoint::parse(local_text);
        const Endpoint remote =
            *Endpoint::parse(local.address.is_v4() ? "198.18.7.7:53" : "[fd00:5::7]:53");
        BoundSocket socket(local);
        ASSERT_TRUE(socket.bound()) << local_text << ": " << std::strerror(errno);

        write_built(tun.fd(), remote, local, "bad checksum", true);
        EXPECT_FALSE(socket.receive(300)) << local_text << ": corrupted datagram delivered";

        for (const std::string& text :
             {std::string("hello"), std::string("odd-length!"), std::string(1400, 'z')}) {
            write_built(tun.fd(), remote, local, text, false);
            const auto received = socket.receive(2000);
            ASSERT_TRUE(received) << local_text << ": built datagram not delivered";
            EXPECT_EQ(*received, text);
        }
    }
}

}  // namespace
}  // namespace shunt::netstack

// TunDevice in a namespace of its own: the device as `ip` sees it, its removal when the
// fd closes, errors that name the step, and packets through the fd both ways.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "netstack/route/route_setup.hpp"
#include "netstack/tun/tun_device.hpp"
#include "tests/netstack/packet/tun_test_loop.hpp"
#include "tests/netstack/route/ip_json.hpp"
#include "tests/support/netns_guard.hpp"

namespace shunt::netstack {
namespace {

using shunt::test::ip_json;
using shunt::test::json_string;
using shunt::test::NetnsGuard;

bool link_exists(const std::string& netns, const std::string& name) {
    return !ip_json(netns, {"link", "show", "dev", name}).empty();
}

// Waits up to `timeout_ms` for a packet on `fd`; returns its length or -1.
ssize_t read_packet(int fd, std::uint8_t* buffer, std::size_t size, int timeout_ms) {
    pollfd waiting{fd, POLLIN, 0};
    if (::poll(&waiting, 1, timeout_ms) != 1) return -1;
    return ::read(fd, buffer, size);
}

std::uint16_t ipv4_header_checksum(const std::uint8_t* header) {
    std::uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (header[i] << 8) | header[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

TEST(TunDeviceTest, CreatesDeviceWithMtuAddressesAndUp) {
    NetnsGuard netns;
    TunDevice tun(test::tun_test_options("shunt-t0"));
    EXPECT_EQ(tun.name(), "shunt-t0");
    EXPECT_GT(tun.ifindex(), 0);
    EXPECT_TRUE(::fcntl(tun.fd(), F_GETFL) & O_NONBLOCK);

    const auto links = ip_json(netns.name(), {"addr", "show", "dev", "shunt-t0"});
    ASSERT_EQ(links.size(), 1u);
    const auto& link = links[0].as_object();
    EXPECT_EQ(link.at("ifindex").to_number<int>(), tun.ifindex());
    EXPECT_EQ(link.at("mtu").to_number<int>(), 9000);
    EXPECT_EQ(link.at("txqlen").to_number<int>(), 8192);  // room for bursts of many flows
    const std::string flags = json_string(links[0], "flags");
    EXPECT_NE(flags.find("\"UP\""), std::string::npos) << flags;

    bool found_v4 = false;
    bool found_v6 = false;
    for (const auto& address : link.at("addr_info").as_array()) {
        const std::string local = json_string(address, "local");
        const int length = address.as_object().at("prefixlen").to_number<int>();
        const auto& flags_of = address.as_object();
        if (local == "198.18.0.1") {
            found_v4 = length == 15;
            EXPECT_TRUE(flags_of.contains("noprefixroute"));
        }
        if (local == "fd00:5::1") {
            found_v6 = length == 64;
            EXPECT_TRUE(flags_of.contains("noprefixroute"));
            // NODAD: usable at once, never "tentative".
            EXPECT_TRUE(flags_of.contains("nodad"));
            EXPECT_FALSE(flags_of.contains("tentative"));
        }
    }
    EXPECT_TRUE(found_v4) << boost::json::serialize(links);
    EXPECT_TRUE(found_v6) << boost::json::serialize(links);
    // Addresses come without prefix routes: routing is RouteSetup's alone.
    EXPECT_TRUE(ip_json(netns.name(), {"route", "show", "dev", "shunt-t0"}).empty());
}

TEST(TunDeviceTest, DeviceDisappearsWhenClosed) {
    NetnsGuard netns;
    {
        TunDevice tun(test::tun_test_options("shunt-t1"));
        ASSERT_TRUE(link_exists(netns.name(), "shunt-t1"));
        TunDevice moved(std::move(tun));
        EXPECT_EQ(tun.fd(), -1);
        EXPECT_TRUE(link_exists(netns.name(), "shunt-t1"));
    }
    EXPECT_FALSE(link_exists(netns.name(), "shunt-t1"));
}

TEST(TunDeviceTest, TooLongNameIsAClearError) {
    NetnsGuard netns;
    try {
        TunDevice tun(test::tun_test_options("a-name-far-too-long"));
        FAIL() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENAMETOOLONG);
        EXPECT_NE(std::string(e.what()).find("TUN a-name-far-too-long: interface name longer"),
                  std::string::npos)
            << e.what();
    }
}

TEST(TunDeviceTest, FailedStepIsNamedAndDeviceRemoved) {
    NetnsGuard netns;
    TunOptions options = test::tun_test_options("shunt-t2");
    options.mtu = 70000;  // above the TUN maximum of 65535
    try {
        TunDevice tun(options);
        FAIL() << "no error";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("TUN shunt-t2: set MTU 70000: "), std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(link_exists(netns.name(), "shunt-t2"));
}

TEST(TunDeviceTest, PacketsPassThroughTheFdBothWays) {
    NetnsGuard netns;
    TunDevice tun(test::tun_test_options("shunt-t3"));
    RoutePlan plan;
    plan.tun_name = tun.name();
    plan.tun_ifindex = tun.ifindex();
    plan.captured = {*Prefix::parse("198.18.0.0/15")};
    RouteSetup routes(plan);
    routes.apply();

    // Kernel -> fd: a datagram to a captured address comes out of the TUN as an IP packet.
    const int sender = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(sender, 0);
    sockaddr_in captured{};
    captured.sin_family = AF_INET;
    captured.sin_port = htons(9);
    ::inet_pton(AF_INET, "198.18.5.5", &captured.sin_addr);
    ASSERT_EQ(
        ::sendto(sender, "ping", 4, 0, reinterpret_cast<sockaddr*>(&captured), sizeof(captured)), 4)
        << std::strerror(errno);
    ::close(sender);
    std::array<std::uint8_t, 9000> packet{};
    // Skip anything else the kernel may send first (IPv6 router solicitations).
    bool seen = false;
    for (int i = 0; i < 10 && !seen; ++i) {
        const ssize_t length = read_packet(tun.fd(), packet.data(), packet.size(), 2000);
        ASSERT_GT(length, 0) << "no packet from the TUN";
        seen = (packet[0] >> 4) == 4 && packet[9] == IPPROTO_UDP &&
               std::memcmp(&packet[16], &captured.sin_addr, 4) == 0 && length == 20 + 8 + 4;
    }
    EXPECT_TRUE(seen);

    // fd -> kernel: a UDP packet written to the fd reaches a socket on the TUN address.
    const int receiver = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ASSERT_GE(receiver, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_port = htons(4321);
    ::inet_pton(AF_INET, "198.18.0.1", &local.sin_addr);
    ASSERT_EQ(::bind(receiver, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0);
    std::array<std::uint8_t, 20 + 8 + 5> out{0x45, 0, 0, 33, 0, 1, 0, 0, 64, IPPROTO_UDP};
    const std::array<std::uint8_t, 4> source{198, 18, 7, 7};
    std::memcpy(&out[12], source.data(), 4);
    std::memcpy(&out[16], &local.sin_addr, 4);
    const std::uint16_t checksum = ipv4_header_checksum(out.data());
    out[10] = checksum >> 8;
    out[11] = checksum & 0xff;
    // UDP: ports 4000 -> 4321, length 13, checksum 0 (none, allowed over IPv4).
    const std::array<std::uint8_t, 8> udp{0x0f, 0xa0, 0x10, 0xe1, 0, 13, 0, 0};
    std::memcpy(&out[20], udp.data(), 8);
    std::memcpy(&out[28], "hello", 5);
    ASSERT_EQ(::write(tun.fd(), out.data(), out.size()), static_cast<ssize_t>(out.size()))
        << std::strerror(errno);
    pollfd waiting{receiver, POLLIN, 0};
    ASSERT_EQ(::poll(&waiting, 1, 2000), 1) << "packet written to the TUN was not delivered";
    char text[16] = {};
    EXPECT_EQ(::recv(receiver, text, sizeof(text), 0), 5);
    EXPECT_STREQ(text, "hello");
    ::close(receiver);
}

}  // namespace
}  // namespace shunt::netstack

// UDP, ICMP and IPv6 through shunt's TUN device, end to end with real peers (socat,
// ping, curl, nginx, unbound) in the e2e namespaces.
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <thread>

#include "tests/support/e2e_topology.hpp"
#include "tests/support/netns_thread.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

struct Datagram {
    std::string text;
    std::string from;  // "a.b.c.d:port"
};

std::optional<Datagram> receive(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    char buffer[512];
    sockaddr_in from{};
    socklen_t length = sizeof(from);
    const ssize_t n =
        ::recvfrom(fd, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &length);
    if (n < 0) return std::nullopt;
    char address[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &from.sin_addr, address, sizeof(address));
    return Datagram{std::string(buffer, static_cast<std::size_t>(n)),
                    std::string(address) + ":" + std::to_string(ntohs(from.sin_port))};
}

TEST(UdpIcmpV6E2e, UdpRequestResponseAndFullConeThroughShunt) {
    E2eTopology topology;
    // Replies with the address it saw the datagram come from: shunt's outbound socket.
    auto echo = topology.spawn_in_server(
        {"socat", "UDP4-RECVFROM:7000,bind=" + std::string(E2eTopology::kWebV4) + ",fork",
         // (a ':' would end socat's address spec: a space separates address and port)
         "SYSTEM:echo $SOCAT_PEERADDR $SOCAT_PEERPORT"});
    ShuntInNamespace shunt(topology, {});
    shunt.start();
    const std::string fake = shunt.resolve(E2eTopology::kWebSite);
    ASSERT_FALSE(fake.empty());

    std::optional<Datagram> reply, cone;
    CommandResult sent;
    int fd = -1;
    // The socket is made in the client namespace; once made it works from any thread.
    run_in_netns(topology.client_ns(),
                 [&] { fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); });
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(7000);
    ::inet_pton(AF_INET, fake.c_str(), &to.sin_addr);
    for (int attempt = 0; attempt < 5 && !reply; ++attempt) {
        ::sendto(fd, "hi", 2, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
        reply = receive(fd, 1000);
    }
    if (reply) {
        // A second server address sends to shunt's outbound port: full cone lets it in,
        // and the app sees that address as the source.
        std::string outside = reply->text.substr(0, reply->text.find('\n'));
        outside[outside.find(' ')] = ':';
        sent = topology.shell_in_server("echo cone | socat - UDP4-SENDTO:" + outside +
                                        ",bind=" + E2eTopology::kSecondWebV4 + ":7001 2>&1");
        cone = receive(fd, 3000);
    }
    ::close(fd);
    ASSERT_TRUE(reply) << shunt.log().substr(0, 3000);
    EXPECT_EQ(reply->from, fake + ":7000") << "the reply must come from the fake address";
    EXPECT_EQ(reply->text.rfind(topology.client_v4() + " ", 0), 0u) << reply->text;
    ASSERT_TRUE(cone) << "no datagram from the second server address: socat " << sent.exit_code
                      << " " << sent.out << "\n"
                      << shunt.log().substr(0, 3000);
    EXPECT_EQ(cone->text, "cone\n");
    EXPECT_EQ(cone->from, std::string(E2eTopology::kSecondWebV4) + ":7001");
    EXPECT_EQ(shunt.stop(), 0);
}

TEST(UdpIcmpV6E2e, PingToAFakeIpIsAnsweredLocally) {
    E2eTopology topology;
    ShuntInNamespace shunt(topology, {});
    shunt.start();
    const std::string fake = shunt.resolve(E2eTopology::kWebSite);
    auto ping = topology.run_in_client({"ping", "-c", "1", "-W", "2", fake});
    EXPECT_EQ(ping.exit_code, 0) << ping.out;
}

TEST(UdpIcmpV6E2e, AaaaOnlySiteDownloadsOverIpv6EndToEnd) {
    E2eTopology topology;
    NginxServer nginx(topology);
    const auto file = nginx.add_file("v6.bin", 8u << 20, 11);
    ShuntInNamespace shunt(topology, {"fake_ip_range6 = \"fd00:18::/64\"\n", "", ""});
    shunt.start();
    const std::string fake6 = shunt.resolve(E2eTopology::kV6OnlySite, "AAAA");
    ASSERT_EQ(fake6.rfind("fd00:18::", 0), 0u) << fake6;
    auto download = http_get_sha256(
        topology.client_ns(), std::string("http://") + E2eTopology::kV6OnlySite + file.url_path,
        {"-6"}, 60s);
    ASSERT_EQ(download.exit_code, 0) << shunt.log().substr(0, 4000);
    EXPECT_EQ(download.sha256, file.sha256);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST(UdpIcmpV6E2e, DnsHijackAnswersQueriesToAnyServerInProcess) {
    E2eTopology topology;
    // auto_route sends everything into the TUN, so a query to any DNS server reaches it.
    ShuntInNamespace shunt(topology, {"", "auto_route = true\ndns_hijack = [\"any:53\"]\n", ""});
    shunt.start();
    // 192.0.2.53 does not exist anywhere: only the hijack can answer.
    auto dig = topology.run_in_client(
        {"dig", "+short", "+time=2", "+tries=1", "@192.0.2.53", E2eTopology::kWebSite});
    EXPECT_EQ(dig.out.rfind("198.18.", 0), 0u) << dig.out << shunt.log().substr(0, 3000);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST(UdpIcmpV6E2e, AutoRouteCarriesNonFakeTrafficWithoutLooping) {
    E2eTopology topology;
    NginxServer nginx(topology);
    const auto file = nginx.add_file("real.bin", 1u << 20, 13);
    ShuntInNamespace shunt(topology, {"", "auto_route = true\n", ""});
    shunt.start();
    // A real address (not fake): routed into the TUN by auto_route, dialed by shunt with
    // its marked socket, which must leave by the veth instead of coming back.
    auto download = http_get_sha256(topology.client_ns(),
                                    nginx.url(E2eTopology::kWebV4, file.url_path), {}, 30s);
    ASSERT_EQ(download.exit_code, 0) << shunt.log().substr(0, 4000);
    EXPECT_EQ(download.sha256, file.sha256);
    const std::string log = shunt.log();
    EXPECT_NE(log.find(std::string("-> ") + E2eTopology::kWebV4 + ":80"), std::string::npos)
        << "the connection did not go through shunt";
    EXPECT_EQ(shunt.stop(), 0);
}

}  // namespace
}  // namespace shunt::test

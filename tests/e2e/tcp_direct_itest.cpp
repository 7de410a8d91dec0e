// The data path end to end, with real programs: curl in the client namespace, shunt there
// with its TUN device and fake-IP DNS, nginx and unbound in the server namespace. Every
// byte goes app -> kernel -> TUN -> lwIP -> shunt's direct outbound -> veth -> nginx.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>

#include <thread>

#include "netstack/packet/checksum.hpp"
#include "netstack/packet/ip_header_writer.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/netns_thread.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

bool in_fake_range(const std::string& address) {
    return address.rfind("198.18.", 0) == 0 || address.rfind("198.19.", 0) == 0;
}

class TcpDirectE2e : public ::testing::Test {
  protected:
    E2eTopology topology_;
    NginxServer nginx_{topology_};
};

TEST_F(TcpDirectE2e, HundredMegabytesEachWayByNameThroughShunt) {
    const auto file = nginx_.add_file("big.bin", 100u << 20, 7);
    ShuntInNamespace shunt(topology_, {});
    shunt.start();
    ASSERT_TRUE(in_fake_range(shunt.resolve(E2eTopology::kWebSite))) << shunt.log();

    // curl resolves through shunt (resolv.conf in the namespace) and connects to a fake IP.
    const auto download =
        http_get_sha256(topology_.client_ns(),
                        std::string("http://") + E2eTopology::kWebSite + file.url_path, {}, 120s);
    ASSERT_EQ(download.exit_code, 0) << shunt.log();
    EXPECT_EQ(download.sha256, file.sha256);

    TempDir upload_dir;
    const std::string upload = upload_dir.file("up.bin");
    const std::string sent_sha = write_pattern_file(upload, 100u << 20, 9);
    ASSERT_EQ(http_put_file(topology_.client_ns(),
                            std::string("http://") + E2eTopology::kWebSite + "/upload/up.bin",
                            upload, {}, 120s),
              0)
        << shunt.log();
    EXPECT_EQ(sha256_file(nginx_.uploaded_path("up.bin")), sent_sha);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(TcpDirectE2e, ThousandConcurrentConnectionsAndBackToBaseline) {
    nginx_.add_file("small.bin", 4096, 3);
    ShuntInNamespace shunt(topology_, {});
    shunt.start();
    const std::string fake = shunt.resolve(E2eTopology::kWebSite);
    ASSERT_TRUE(in_fake_range(fake));
    std::this_thread::sleep_for(200ms);
    const int fds_before = shunt.open_fds();
    // 1,000 transfers at once from one curl (HTTP/1.1, a connection each). A burst of
    // 1,000 SYNs can exceed max_half_open (255) when the machine is loaded: those get the
    // RST the cap is for, and curl tries them again.
    std::string script =
        "cd /tmp && curl -s --parallel --parallel-max 1000 --parallel-immediate "
        "--retry 3 --retry-all-errors --retry-delay 1 "
        "-o /dev/null -w '%{http_code}\\n' --resolve www.e2e.test:80:" +
        fake + " ";
    script += "'http://www.e2e.test/small.bin?[1-1000]'";
    script += " | grep -c '^200$'";
    auto result = topology_.shell_in_client(script, 120s);
    const std::string log = shunt.log();
    EXPECT_EQ(result.out, "1000\n") << log_tail(log);
    // Every flow closed and every socket with it.
    EXPECT_LE(shunt.wait_for_fds_at_most(fds_before), fds_before);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(TcpDirectE2e, UnknownFakeIpAndClosedPortAreResetPromptly) {
    ShuntInNamespace shunt(topology_, {});
    shunt.start();
    // Never handed out: shunt must reset, not dial 198.18.200.200.
    const auto started = std::chrono::steady_clock::now();
    auto unknown = http_get_sha256(topology_.client_ns(), "http://198.18.200.200/", {}, 20s);
    EXPECT_NE(unknown.exit_code, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    EXPECT_NE(shunt.log().find("fake IP not in the pool"), std::string::npos);

    // The site resolves, but nothing listens on port 81: the dial fails, curl sees a reset.
    const auto dial_started = std::chrono::steady_clock::now();
    auto refused = http_get_sha256(topology_.client_ns(), "http://www.e2e.test:81/", {}, 20s);
    EXPECT_TRUE(refused.exit_code == 56 || refused.exit_code == 52 || refused.exit_code == 7)
        << refused.exit_code;
    EXPECT_LT(std::chrono::steady_clock::now() - dial_started, 3s);
    EXPECT_NE(shunt.log().find("refused: DIRECT: dial www.e2e.test"), std::string::npos)
        << shunt.log();
}

// Connects from the client namespace; the socket stays usable from any thread. Returns
// the fd, or -errno when connect() failed.
int connect_in(const std::string& netns, const std::string& address, int port) {
    int fd = -1;
    run_in_netns(netns, [&] {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(port));
        ::inet_pton(AF_INET, address.c_str(), &to.sin_addr);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
            const int error = errno;
            ::close(fd);
            fd = -error;
        }
    });
    return fd;
}

// What a read on an idle connection gives within `timeout_ms`: 0 still open (timeout),
// -ECONNRESET reset, 1 end of stream or data.
int probe(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) == 0) return 0;
    char byte;
    const ssize_t n = ::recv(fd, &byte, 1, 0);
    return n < 0 ? -errno : 1;
}

// The app finishes sending (FIN) and still reads: the server answers only after the end
// of its input, so the answer crosses shunt after the app's half-close.
TEST_F(TcpDirectE2e, HalfCloseFromTheAppStillGetsTheAnswer) {
    auto counter = topology_.spawn_in_server(
        {"socat", "TCP-LISTEN:7100,bind=" + std::string(E2eTopology::kWebV4) + ",fork,reuseaddr",
         "SYSTEM:wc -c"});
    ASSERT_TRUE(wait_for_tcp_port(E2eTopology::kWebV4, 7100, 10s, topology_.server_ns()));
    ShuntInNamespace shunt(topology_, {});
    shunt.start();
    auto result = topology_.shell_in_client(
        "head -c 300000 /dev/zero | socat -t 10 - TCP:www.e2e.test:7100", 30s);
    EXPECT_EQ(result.exit_code, 0) << result.out;
    EXPECT_EQ(result.out, "300000\n") << shunt.log().substr(0, 3000);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(TcpDirectE2e, FlowsAboveTheCapAreResetAndTheCapFreesUp) {
    ShuntInNamespace shunt(topology_, {"", "max_tcp_flows = 4\n", ""});
    shunt.start();
    const std::string fake = shunt.resolve(E2eTopology::kWebSite);
    std::vector<int> held;
    for (int i = 0; i < 4; ++i) held.push_back(connect_in(topology_.client_ns(), fake, 80));
    for (int fd : held) ASSERT_GE(fd, 0);
    std::this_thread::sleep_for(300ms);
    for (int fd : held) EXPECT_EQ(probe(fd, 0), 0) << "a flow under the cap was closed";
    // lwIP completes the handshake, then the router refuses the fifth flow with a reset.
    // (The reset may even beat connect() back to a loaded client: same outcome.)
    const int fifth = connect_in(topology_.client_ns(), fake, 80);
    if (fifth >= 0) {
        EXPECT_EQ(probe(fifth, 2000), -ECONNRESET);
        ::close(fifth);
    } else {
        EXPECT_EQ(fifth, -ECONNRESET);
    }
    EXPECT_NE(shunt.log().find("concurrent flows (the cap)"), std::string::npos);
    // One closes: a new flow fits again.
    ::close(held.back());
    held.pop_back();
    std::this_thread::sleep_for(300ms);
    const int again = connect_in(topology_.client_ns(), fake, 80);
    ASSERT_GE(again, 0);
    EXPECT_EQ(probe(again, 500), 0);
    ::close(again);
    for (int fd : held) ::close(fd);
    EXPECT_EQ(shunt.stop(), 0);
}

// SYNs from addresses that never answer leave their handshakes half-open in lwIP; past
// max_half_open a new attempt must be refused at once, not left to time out.
TEST_F(TcpDirectE2e, HandshakesAboveTheHalfOpenCapAreReset) {
    ShuntInNamespace shunt(topology_, {"", "max_half_open = 4\n", ""});
    shunt.start();
    const std::string fake = shunt.resolve(E2eTopology::kWebSite);
    const auto destination = *IpAddress::parse(fake);
    run_in_netns(topology_.client_ns(), [&] {
        const int raw = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        ASSERT_GE(raw, 0) << std::strerror(errno);
        for (std::uint32_t i = 1; i <= 6; ++i) {
            const auto source = IpAddress::from_v4(0x0a630000u + i);  // 10.99.0.i
            std::uint8_t packet[40] = {};
            netstack::write_ip_header(std::span(packet, 20), source, destination, 6, 20);
            std::uint8_t* tcp = packet + 20;
            write_u16(tcp, static_cast<std::uint16_t>(40000 + i));
            write_u16(tcp + 2, 80);
            tcp[7] = 1;  // seq 1
            tcp[12] = 5 << 4;
            tcp[13] = 0x02;  // SYN
            write_u16(tcp + 14, 65535);
            write_u16(tcp + 16,
                      netstack::transport_checksum(source, destination, 6, std::span(tcp, 20)));
            sockaddr_in to{};
            to.sin_family = AF_INET;
            ::inet_pton(AF_INET, fake.c_str(), &to.sin_addr);
            ASSERT_EQ(::sendto(raw, packet, sizeof packet, 0, reinterpret_cast<sockaddr*>(&to),
                               sizeof to),
                      40)
                << std::strerror(errno);
        }
        ::close(raw);
    });
    std::this_thread::sleep_for(300ms);
    EXPECT_NE(shunt.log().find("max_half_open"), std::string::npos) << shunt.log().substr(0, 3000);
    // A real client now: refused at once (RST to its SYN), not left waiting.
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(connect_in(topology_.client_ns(), fake, 80), -ECONNREFUSED);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(TcpDirectE2e, IdleFlowsAreResetAfterTheIdleTimeout) {
    ShuntInNamespace shunt(topology_, {"", "tcp_idle_timeout_s = 1\n", ""});
    shunt.start();
    const std::string fake = shunt.resolve(E2eTopology::kWebSite);
    const int fd = connect_in(topology_.client_ns(), fake, 80);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(probe(fd, 300), 0) << "closed before the timeout";
    EXPECT_EQ(probe(fd, 3000), -ECONNRESET) << "an idle flow outlived tcp_idle_timeout_s";
    ::close(fd);
    EXPECT_EQ(shunt.stop(), 0);  // the log is complete once shunt exits
    EXPECT_NE(shunt.log().find("closed (idle timeout)"), std::string::npos)
        << shunt.log().substr(0, 3000);
}

TEST_F(TcpDirectE2e, FakeIpLearnedBeforeKillNineStillWorksAfterRestart) {
    const auto file = nginx_.add_file("page.bin", 64 * 1024, 5);
    ShuntInNamespace shunt(topology_, {});
    shunt.start();
    const std::string fake = shunt.resolve(E2eTopology::kWebSite);
    ASSERT_TRUE(in_fake_range(fake));
    shunt.kill9();
    shunt.start();
    // No DNS query this time: the app kept the address.
    auto again =
        http_get_sha256(topology_.client_ns(), std::string("http://www.e2e.test") + file.url_path,
                        {"--resolve", std::string("www.e2e.test:80:") + fake}, 30s);
    ASSERT_EQ(again.exit_code, 0) << shunt.log();
    EXPECT_EQ(again.sha256, file.sha256);
    EXPECT_EQ(shunt.stop(), 0);
}

TEST_F(TcpDirectE2e, NothingIsLeftAfterExitOrAfterKillNineAndRestart) {
    // Everything shunt adds carries protocol 162 (docs/routing.md).
    auto leftovers = [&] {
        return topology_
            .shell_in_client(std::string("{ ip -4 route show table all proto 162; "
                                         "ip -6 route show table all proto 162; "
                                         "ip -4 rule; ip -6 rule; } | grep -E 'proto 162|dev ") +
                             ShuntInNamespace::kTunName + "'; ip link show " +
                             ShuntInNamespace::kTunName + " 2>/dev/null")
            .out;
    };
    ShuntInNamespace shunt(topology_, {"", "auto_route = true\n", ""});
    shunt.start();
    EXPECT_NE(leftovers(), "");
    EXPECT_EQ(shunt.stop(), 0);
    EXPECT_EQ(leftovers(), "");

    shunt.start();
    shunt.kill9();
    EXPECT_NE(leftovers(), "") << "kill -9 should leave the ip rules behind";
    shunt.start();
    EXPECT_NE(shunt.log().find("removed what an earlier run left behind"), std::string::npos);
    EXPECT_EQ(shunt.stop(), 0);
    EXPECT_EQ(leftovers(), "");
}

}  // namespace
}  // namespace shunt::test

// Proxies end to end: curl and a UDP client in the client namespace, shunt there with its
// TUN device; in the server namespace nginx, a socat UDP echo, a real dante SOCKS5 server
// and `shunt mux-server`. Rules send www.e2e.test to SOCKS5 and second.e2e.test to mux;
// content is sha256-checked and the proxies' own logs show they carried the flows.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <csignal>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/dante_server.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/mux_server_process.hpp"
#include "tests/support/netns_thread.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/server_resolv_conf.hpp"
#include "tests/support/shunt_in_namespace.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

constexpr int kMuxPort = MuxServerProcess::kDefaultPort;
constexpr int kEchoPort = 7000;

struct Datagram {
    std::string text;
    std::string from;
};

// Sends `text` to ADDRESS:PORT from a UDP socket of the client namespace until a reply
// comes (UDP may lose the first datagram while the outbound opens).
std::optional<Datagram> udp_exchange(const E2eTopology& topology, const std::string& address,
                                     const std::string& text) {
    int fd = -1;
    run_in_netns(topology.client_ns(),
                 [&] { fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); });
    if (fd < 0) return std::nullopt;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(kEchoPort);
    ::inet_pton(AF_INET, address.c_str(), &to.sin_addr);
    std::optional<Datagram> reply;
    for (int attempt = 0; attempt < 5 && !reply; ++attempt) {
        ::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 1000) != 1) continue;
        char buffer[512];
        sockaddr_in from{};
        socklen_t length = sizeof(from);
        const ssize_t n =
            ::recvfrom(fd, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &length);
        if (n < 0) continue;
        char source[INET_ADDRSTRLEN];
        ::inet_ntop(AF_INET, &from.sin_addr, source, sizeof(source));
        reply = Datagram{std::string(buffer, static_cast<std::size_t>(n)), source};
    }
    ::close(fd);
    return reply;
}

class ProxyE2e : public ::testing::Test {
  protected:
    ProxyE2e()
        : dante_({false, "lo", "0.0.0.0/0"}, {topology_.server_ns(), topology_.server_v4(), 1080}),
          certificate_(ca_.issue("mux.e2e.test", topology_.server_v4())),
          mux_server_(topology_, certificate_, "e2e-secret") {}

    ShuntInNamespace::Options shunt_options(const std::string& mux_password = "e2e-secret") {
        ShuntInNamespace::Options options;
        options.top_level = std::string("rules = [\"DOMAIN,") + E2eTopology::kWebSite +
                            ",socks\", \"DOMAIN," + E2eTopology::kSecondSite + ",vps\"]\n" +
                            "[[proxies]]\nname = \"socks\"\ntype = \"socks5\"\nserver = \"" +
                            topology_.server_v4() + "\"\nport = 1080\nudp = true\n" +
                            "[[proxies]]\nname = \"vps\"\ntype = \"mux\"\nserver = \"" +
                            topology_.server_v4() + "\"\nport = " + std::to_string(kMuxPort) +
                            "\npassword = \"" + mux_password + "\"\nca = \"" + ca_.ca_file() +
                            "\"\nsni = \"mux.e2e.test\"\n";
        return options;
    }

    E2eTopology topology_;
    NginxServer nginx_{topology_};
    ServerResolvConf resolv_conf_{topology_};
    DanteServer dante_;
    TestCa ca_;
    TestCertificate certificate_;
    MuxServerProcess mux_server_;
};

TEST_F(ProxyE2e, RulesSendOneSiteToSocks5AndAnotherToMuxContentIntact) {
    const auto file = nginx_.add_file("proxied.bin", 16u << 20, 11);
    ShuntInNamespace shunt(topology_, shunt_options());
    shunt.start();

    const auto via_socks = http_get_sha256(
        topology_.client_ns(), std::string("http://") + E2eTopology::kWebSite + file.url_path);
    ASSERT_EQ(via_socks.exit_code, 0) << shunt.log() << dante_.log();
    EXPECT_EQ(via_socks.sha256, file.sha256);

    const auto via_mux = http_get_sha256(
        topology_.client_ns(), std::string("http://") + E2eTopology::kSecondSite + file.url_path);
    ASSERT_EQ(via_mux.exit_code, 0) << shunt.log() << mux_server_.log();
    EXPECT_EQ(via_mux.sha256, file.sha256);

    // Each proxy carried its own site: dante logs the address it connected to (it resolved
    // the name itself), the mux server the name it was asked for.
    EXPECT_NE(dante_.log().find(std::string(E2eTopology::kWebV4) + ".80"), std::string::npos)
        << dante_.log();
    EXPECT_EQ(dante_.log().find(std::string(E2eTopology::kSecondWebV4) + ".80"), std::string::npos)
        << dante_.log();
    EXPECT_NE(mux_server_.log().find(std::string("open ") + E2eTopology::kSecondSite + ":80"),
              std::string::npos)
        << mux_server_.log();
    EXPECT_EQ(mux_server_.log().find(E2eTopology::kWebSite), std::string::npos);
    EXPECT_EQ(shunt.stop(), 0) << shunt.log();
}

TEST_F(ProxyE2e, UdpThroughSocks5AndMuxComesBackFromTheFakeAddress) {
    auto echo_www = topology_.spawn_in_server(
        {"socat",
         "UDP4-RECVFROM:" + std::to_string(kEchoPort) + ",bind=" + E2eTopology::kWebV4 + ",fork",
         "SYSTEM:echo www $SOCAT_PEERADDR"});
    auto echo_second =
        topology_.spawn_in_server({"socat",
                                   "UDP4-RECVFROM:" + std::to_string(kEchoPort) +
                                       ",bind=" + E2eTopology::kSecondWebV4 + ",fork",
                                   "SYSTEM:echo second $SOCAT_PEERADDR"});
    ShuntInNamespace shunt(topology_, shunt_options());
    shunt.start();
    const std::string www = shunt.resolve(E2eTopology::kWebSite);
    const std::string second = shunt.resolve(E2eTopology::kSecondSite);

    const auto socks_reply = udp_exchange(topology_, www, "hi");
    ASSERT_TRUE(socks_reply) << shunt.log() << dante_.log();
    EXPECT_EQ(socks_reply->text.rfind("www ", 0), 0U) << socks_reply->text;
    EXPECT_EQ(socks_reply->from, www) << "the reply must come from the fake IP";

    const auto mux_reply = udp_exchange(topology_, second, "hi");
    ASSERT_TRUE(mux_reply) << shunt.log() << mux_server_.log();
    EXPECT_EQ(mux_reply->text.rfind("second ", 0), 0U) << mux_reply->text;
    EXPECT_EQ(mux_reply->from, second);
    // The echo saw the proxies' addresses, not the client's: the datagrams went through them.
    EXPECT_EQ(socks_reply->text.find(topology_.client_v4()), std::string::npos);
    EXPECT_EQ(mux_reply->text.find(topology_.client_v4()), std::string::npos);
    EXPECT_NE(dante_.log().find("udpassociate"), std::string::npos) << dante_.log();
}

TEST_F(ProxyE2e, GlobalModeSendsEverythingThroughTheFirstProxyAndGroupsPickTheirMember) {
    const auto file = nginx_.add_file("global.bin", 1u << 20, 12);
    auto options = shunt_options();
    // Global mode: the rules are ignored, GLOBAL starts on the first proxy (socks).
    options.top_level = "mode = \"global\"\n" + options.top_level +
                        "[[groups]]\nname = \"proxy\"\ntype = \"select\"\n"
                        "proxies = [\"vps\", \"socks\"]\n";
    ShuntInNamespace shunt(topology_, options);
    shunt.start();
    const auto download = http_get_sha256(
        topology_.client_ns(), std::string("http://") + E2eTopology::kSecondSite + file.url_path);
    ASSERT_EQ(download.exit_code, 0) << shunt.log();
    EXPECT_EQ(download.sha256, file.sha256);
    // second.e2e.test would go to vps by its rule; in global mode it went to dante.
    EXPECT_NE(dante_.log().find(std::string(E2eTopology::kSecondWebV4) + ".80"), std::string::npos)
        << dante_.log() << shunt.log();
    EXPECT_EQ(mux_server_.log().find(E2eTopology::kSecondSite), std::string::npos);
}

TEST_F(ProxyE2e, RuleToASelectGroupUsesItsFirstMember) {
    const auto file = nginx_.add_file("group.bin", 1u << 20, 13);
    auto options = shunt_options();
    options.top_level = std::string("rules = [\"MATCH,proxy\"]\n") +
                        options.top_level.substr(options.top_level.find("[[proxies]]")) +
                        "[[groups]]\nname = \"proxy\"\ntype = \"select\"\n"
                        "proxies = [\"vps\", \"socks\"]\n";
    ShuntInNamespace shunt(topology_, options);
    shunt.start();
    const auto download = http_get_sha256(
        topology_.client_ns(), std::string("http://") + E2eTopology::kWebSite + file.url_path);
    ASSERT_EQ(download.exit_code, 0) << shunt.log();
    EXPECT_EQ(download.sha256, file.sha256);
    EXPECT_NE(mux_server_.log().find(std::string("open ") + E2eTopology::kWebSite + ":80"),
              std::string::npos)
        << mux_server_.log() << shunt.log();
}

TEST_F(ProxyE2e, WrongMuxPasswordResetsTheFlowAndSaysWhy) {
    ShuntInNamespace shunt(topology_, shunt_options("not-the-secret"));
    shunt.start();
    const auto start = std::chrono::steady_clock::now();
    const auto attempt = http_get_sha256(
        topology_.client_ns(), std::string("http://") + E2eTopology::kSecondSite + "/", {}, 30s);
    EXPECT_NE(attempt.exit_code, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s)
        << "waiting flows fail once every carrier failed";
    EXPECT_NE(shunt.log().find("no carrier to the server is up"), std::string::npos) << shunt.log();
    EXPECT_NE(mux_server_.log().find("refused: wrong password"), std::string::npos)
        << mux_server_.log();
}

// A reload that leaves the mux proxy alone keeps its carriers: no new TLS handshakes or
// AUTHs at the server, and the next flow still goes through.
TEST_F(ProxyE2e, ReloadKeepsAnUnchangedMuxProxysCarriers) {
    const auto file = nginx_.add_file("small.bin", 64u << 10, 5);
    ShuntInNamespace shunt(topology_, shunt_options());
    shunt.start();
    const std::string url = std::string("http://") + E2eTopology::kSecondSite + file.url_path;
    ASSERT_EQ(http_get_sha256(topology_.client_ns(), url).exit_code, 0) << shunt.log();
    auto count = [](const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
        return n;
    };
    // Both carriers of the pool (carriers = 2) are up once the first flow went through.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (count(mux_server_.log(), "authenticated") < 2 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    const std::size_t carriers_before = count(mux_server_.log(), "authenticated");
    ASSERT_EQ(carriers_before, 2U) << mux_server_.log();

    ASSERT_EQ(::kill(shunt.pid(), SIGHUP), 0);
    const auto reload_deadline = std::chrono::steady_clock::now() + 10s;
    while (shunt.log().find("reloaded") == std::string::npos &&
           std::chrono::steady_clock::now() < reload_deadline)
        std::this_thread::sleep_for(50ms);
    ASSERT_NE(shunt.log().find("reload: 2 proxies and groups unchanged"), std::string::npos)
        << shunt.log();

    const auto after = http_get_sha256(topology_.client_ns(), url);
    ASSERT_EQ(after.exit_code, 0) << shunt.log();
    EXPECT_EQ(after.sha256, file.sha256);
    std::this_thread::sleep_for(300ms);  // a reconnect would show by now
    EXPECT_EQ(count(mux_server_.log(), "authenticated"), carriers_before)
        << "the reload reconnected the mux carriers:\n"
        << mux_server_.log();
    EXPECT_EQ(shunt.stop(), 0) << shunt.log();
}

}  // namespace
}  // namespace shunt::test

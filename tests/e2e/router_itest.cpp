// shunt as a router's gateway (`[tun] lan_interfaces`): a third namespace plays a LAN
// device behind the client namespace, which forwards. Its traffic to fake IPs and, through
// the `iif` rules, to real addresses must go through shunt.
#include <signal.h>

#include <gtest/gtest.h>

#include <regex>

#include "tests/support/e2e_topology.hpp"
#include "tests/support/lan_device.hpp"
#include "tests/support/nginx_server.hpp"
#include "tests/support/shunt_in_namespace.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

TEST(RouterE2e, LanDeviceTrafficGoesThroughShunt) {
    E2eTopology topology;
    NginxServer nginx(topology);
    const auto file = nginx.add_file("lan.bin", 2u << 20, 17);
    LanDevice lan(topology);
    ShuntInNamespace shunt(
        topology,
        {"", "lan_interfaces = [\"lan0\"]\n", "", {"127.0.0.1:53", lan.router() + ":53"}});
    shunt.start();

    // By name, through the router's DNS (shunt): a fake IP, fetched through the TUN.
    auto dig = run_command({"ip", "netns", "exec", lan.name(), "dig", "+short", "+time=2",
                            "@" + lan.router(), E2eTopology::kWebSite});
    const std::string fake = dig.out.substr(0, dig.out.find('\n'));
    ASSERT_EQ(fake.rfind("198.18.", 0), 0u) << dig.out << shunt.log();
    auto by_name = http_get_sha256(lan.name(), std::string("http://www.e2e.test") + file.url_path,
                                   {"--resolve", "www.e2e.test:80:" + fake}, 30s);
    ASSERT_EQ(by_name.exit_code, 0) << shunt.log().substr(0, 4000);
    EXPECT_EQ(by_name.sha256, file.sha256);

    // A real address: without lan_interfaces the router would forward it straight on.
    auto by_address =
        http_get_sha256(lan.name(), nginx.url(E2eTopology::kWebV4, file.url_path), {}, 30s);
    ASSERT_EQ(by_address.exit_code, 0) << shunt.log().substr(0, 4000);
    EXPECT_EQ(by_address.sha256, file.sha256);
    const std::string log = shunt.log();
    EXPECT_NE(log.find("tcp " + lan.address() + ":"), std::string::npos) << log.substr(0, 4000);
    EXPECT_NE(log.find(std::string("-> ") + E2eTopology::kWebV4 + ":80"), std::string::npos);
    EXPECT_EQ(shunt.stop(), 0);
}

// The OpenWrt package's router config (packaging/openwrt/shunt/files/config.toml) as
// shipped, behind dnsmasq as on OpenWrt (`server=127.0.0.1#1053`, `no-resolv`). Changed
// for the test network only: the LAN bridge's name, the pool file and the upstream.
TEST(RouterE2e, ShippedOpenWrtConfigBehindDnsmasq) {
    E2eTopology topology;
    NginxServer nginx(topology);
    const auto file = nginx.add_file("openwrt.bin", 1u << 20, 23);
    LanDevice lan(topology);
    TempDir dir;
    std::string config =
        read_file(std::string(SHUNT_SOURCE_DIR) + "/packaging/openwrt/shunt/files/config.toml");
    config = std::regex_replace(config, std::regex("\"br-lan\""), "\"lan0\"");
    config = std::regex_replace(config, std::regex("fake_ip_store = \"[^\"]*\""),
                                "fake_ip_store = \"" + dir.file("fakeip.db") + "\"");
    config = std::regex_replace(config, std::regex("upstreams = \\[[^\\]]*\\]"),
                                "upstreams = [\"udp://" + topology.server_v4() + "\"]");
    dir.write("config.toml", config);
    ChildProcess::Options options;
    options.stdout_path = dir.file("shunt.log");
    options.stderr_path = dir.file("shunt.log");
    auto shunt =
        topology.spawn_in_client({SHUNT_BINARY, "run", "-c", dir.file("config.toml")}, options);
    ASSERT_TRUE(wait_for_tcp_port("127.0.0.1", 9090, 15s, topology.client_ns()))
        << read_file(dir.file("shunt.log"));
    ChildProcess::Options dnsmasq_options;
    dnsmasq_options.stderr_path = dir.file("dnsmasq.log");
    auto dnsmasq = topology.spawn_in_client(
        {"dnsmasq", "--keep-in-foreground", "--no-hosts", "--no-resolv", "--bind-interfaces",
         "--listen-address=" + lan.router(), "--port=53", "--server=127.0.0.1#1053",
         "--pid-file=" + dir.file("dnsmasq.pid"), "--user=root"},
        dnsmasq_options);
    ASSERT_TRUE(wait_for_tcp_port(lan.router(), 53, 10s, topology.client_ns()))
        << read_file(dir.file("dnsmasq.log"));

    auto lan_dig = [&](const std::string& server) {
        auto r = run_command({"ip", "netns", "exec", lan.name(), "dig", "+short", "+time=2",
                              "+tries=2", "@" + server, E2eTopology::kWebSite});
        return r.out.substr(0, r.out.find('\n'));
    };
    // The shipped config turns the eBPF bypass on: the program is on the LAN interface.
    EXPECT_NE(read_file(dir.file("shunt.log")).find("ebpf: bypass active on lan0"),
              std::string::npos)
        << read_file(dir.file("shunt.log"));
    // The LAN asks dnsmasq, which asks shunt: a fake address, fetched through shunt0.
    const std::string fake = lan_dig(lan.router());
    ASSERT_EQ(fake.rfind("198.18.", 0), 0u) << fake << read_file(dir.file("shunt.log"));
    auto by_name = http_get_sha256(lan.name(), std::string("http://www.e2e.test") + file.url_path,
                                   {"--resolve", "www.e2e.test:80:" + fake}, 30s);
    ASSERT_EQ(by_name.exit_code, 0) << read_file(dir.file("shunt.log")).substr(0, 4000);
    EXPECT_EQ(by_name.sha256, file.sha256);
    // A client with a hard-coded resolver: its query is routed into shunt0 like the rest
    // of its traffic and answered there (dns_hijack), with the same fake address.
    EXPECT_EQ(lan_dig("192.0.2.53"), fake) << read_file(dir.file("shunt.log"));

    shunt->signal(SIGTERM);
    EXPECT_EQ(shunt->wait(10s), 0);
}

}  // namespace
}  // namespace shunt::test

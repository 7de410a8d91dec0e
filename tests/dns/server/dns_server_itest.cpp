// shunt's DNS server end to end: the real binary, queried with dig over UDP and TCP,
// with a real unbound as its upstream.
#include <csignal>

#include "tests/dns/server/server_fixture.hpp"

namespace shunt::test {
namespace {

using DnsServer = ServerFixture;

TEST_F(DnsServer, FakeAnswersOverUdpAndTcpAgree) {
    start(base_config());
    auto udp = dig(port, "Some.Site.Example", "A", {"+short"});
    ASSERT_EQ(udp.lines().size(), 1u) << udp.out << shunt->log();
    EXPECT_TRUE(in_fake_range(udp.lines()[0])) << udp.out;
    auto tcp = dig(port, "some.site.example.", "A", {"+short", "+tcp"});
    ASSERT_EQ(tcp.lines().size(), 1u) << tcp.out;
    EXPECT_EQ(tcp.lines()[0], udp.lines()[0])
        << "one name, one address, whatever the case or transport";
    auto other = dig(port, "other.example", "A", {"+short"});
    ASSERT_EQ(other.lines().size(), 1u);
    EXPECT_NE(other.lines()[0], udp.lines()[0]);
    // TTL is fake_ip_ttl (default 1).
    auto full = dig(port, "some.site.example", "A", {"+noall", "+answer"});
    EXPECT_NE(full.out.find("\t1\tIN\tA\t" + udp.lines()[0]), std::string::npos) << full.out;
    // The reverse map answers PTR queries for the fake address.
    auto ptr = dig(port, "", "", {"-x", udp.lines()[0], "+short"});
    EXPECT_EQ(ptr.out, "some.site.example.\n");
}

TEST_F(DnsServer, FilteredNamesAndOtherTypesGoToTheUpstream) {
    start(base_config("fake_ip_filter = [\"+.real.test\"]\n"));
    EXPECT_EQ(dig(port, "real.test", "A", {"+short"}).out, "192.0.2.7\n");
    EXPECT_EQ(dig(port, "www.test", "MX", {"+short"}).out, "10 mail.test.\n");
    EXPECT_EQ(dig(port, "www.test", "MX", {"+short", "+tcp"}).out, "10 mail.test.\n");
    // www.test is not filtered: its A query gets a fake address, not 192.0.2.1.
    auto a = dig(port, "www.test", "A", {"+short"});
    ASSERT_EQ(a.lines().size(), 1u);
    EXPECT_TRUE(in_fake_range(a.lines()[0]));
    // The shipped default filter is active: a LAN name is forwarded (and refused by
    // the test unbound, which serves only test.).
    EXPECT_EQ(dig(port, "printer.lan", "A").status(), "REFUSED");
    // A real PTR outside the fake range goes upstream.
    EXPECT_EQ(dig(port, "", "", {"-x", "192.0.2.1", "+short"}).out, "www.test.\n");
}

TEST_F(DnsServer, AaaaHttpsSvcbOfFakedNamesAreEmptyWithoutV6Pool) {
    start(base_config());
    for (const char* type : {"AAAA", "HTTPS", "SVCB"}) {
        auto r = dig(port, "v6only.test", type);
        EXPECT_EQ(r.status(), "NOERROR") << type << r.out;
        EXPECT_NE(r.out.find("ANSWER: 0"), std::string::npos) << type << r.out;
    }
}

TEST_F(DnsServer, V6PoolAnswersAaaa) {
    start(base_config("fake_ip_range6 = \"fd00:18::/64\"\n"));
    auto r = dig(port, "v6only.test", "AAAA", {"+short"});
    ASSERT_EQ(r.lines().size(), 1u) << r.out;
    auto address = IpAddress::parse(r.lines()[0]);
    ASSERT_TRUE(address);
    EXPECT_TRUE(Prefix::parse("fd00:18::/64")->contains(*address));
    EXPECT_EQ(dig(port, "v6only.test", "AAAA", {"+short", "+tcp"}).out, r.out);
}

TEST_F(DnsServer, UnknownEdnsVersionGetsBadvers) {
    start(base_config());
    auto r = dig(port, "a.example", "A", {"+edns=1", "+noednsnegotiation"});
    EXPECT_EQ(r.status(), "BADVERS") << r.out;
    EXPECT_NE(r.out.find("EDNS: version: 0"), std::string::npos) << r.out;
    EXPECT_EQ(dig(port, "a.example", "A", {"+edns=0"}).status(), "NOERROR");
}

TEST_F(DnsServer, StaticHosts) {
    start(base_config("[dns.hosts]\n\"router.lan\" = [\"192.168.1.1\", \"fd00::1\"]\n"));
    EXPECT_EQ(dig(port, "Router.LAN", "A", {"+short"}).out, "192.168.1.1\n");
    EXPECT_EQ(dig(port, "router.lan", "AAAA", {"+short"}).out, "fd00::1\n");
}

TEST_F(DnsServer, RedirHostModeAnswersRealAddresses) {
    start(base_config("mode = \"redir-host\"\n"));
    EXPECT_EQ(dig(port, "www.test", "A", {"+short"}).out, "192.0.2.1\n");
    EXPECT_EQ(dig(port, "v6only.test", "AAAA", {"+short"}).out, "2001:db8::7\n");
    EXPECT_EQ(dig(port, "missing.test", "A").status(), "NXDOMAIN");
}

TEST_F(DnsServer, ServfailWithinTheDeadlineWhenTheUpstreamIsDown) {
    unbound.reset();  // nothing listens on its port any more
    start(base_config());
    auto started = std::chrono::steady_clock::now();
    auto r = dig(port, "www.test", "MX");
    auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.status(), "SERVFAIL") << r.out;
    EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
    // Faked names do not need the upstream at all.
    auto a = dig(port, "www.test", "A", {"+short"});
    ASSERT_EQ(a.lines().size(), 1u);
    EXPECT_TRUE(in_fake_range(a.lines()[0]));
}

TEST_F(DnsServer, CheckListsEveryErrorAndExitsOne) {
    dir.write("bad.toml", "[dns]\nupstreams = [\"bogus\"]\nfake_ip_range = \"x\"\ntypo = 1\n");
    auto bad = run_command(
        {"sh", "-c", std::string(SHUNT_BINARY) + " check -c " + dir.file("bad.toml") + " 2>&1"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.out.find("bad.toml:2:14: dns.upstreams[0]:"), std::string::npos) << bad.out;
    EXPECT_NE(bad.out.find("bad.toml:3:17: dns.fake_ip_range:"), std::string::npos) << bad.out;
    EXPECT_NE(bad.out.find("bad.toml:4:1: dns.typo: unknown key"), std::string::npos) << bad.out;
    dir.write("good.toml", base_config());
    EXPECT_EQ(run_command({SHUNT_BINARY, "check", "-c", dir.file("good.toml")}).exit_code, 0);
    // `run` refuses a bad file the same way, before binding anything.
    EXPECT_EQ(run_command({SHUNT_BINARY, "run", "-c", dir.file("bad.toml")}).exit_code, 1);
}

TEST_F(DnsServer, UnopenableStoreIsAStartupError) {
    dir.write("blocker", "a file where a directory should be");
    dir.write("s.toml", "[dns]\nlisten = [\"127.0.0.1:" + std::to_string(port) +
                            "\"]\nfake_ip_store = \"" + dir.file("blocker") +
                            "/pool.db\"\nupstreams = [\"udp://127.0.0.1:9\"]\n");
    auto r = run_command(
        {"sh", "-c", std::string(SHUNT_BINARY) + " run -c " + dir.file("s.toml") + " 2>&1"},
        std::chrono::seconds(10));
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("startup failed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("blocker/pool.db"), std::string::npos) << r.out;
}

TEST_F(DnsServer, SigtermStopsCleanly) {
    start(base_config());
    ASSERT_EQ(dig(port, "a.example", "A", {"+short"}).lines().size(), 1u);
    shunt->signal(SIGTERM);
    auto status = shunt->wait(std::chrono::seconds(5));
    ASSERT_TRUE(status);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << shunt->log();
    EXPECT_NE(shunt->log().find("shunt stopped"), std::string::npos);
}

}  // namespace
}  // namespace shunt::test

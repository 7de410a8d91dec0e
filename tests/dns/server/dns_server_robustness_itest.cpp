// What a server must survive: malformed packets on both transports, kill -9, reloads.
#include <csignal>
#include <map>
#include <set>
#include <thread>

#include "dns/resolve/message_scan.hpp"
#include "tests/dns/server/server_fixture.hpp"
#include "tests/support/dns_client.hpp"
#include "tests/support/malformed_queries.hpp"

namespace shunt::test {
namespace {

using dns::QueryVerdict;
using DnsServerRobustness = ServerFixture;
using namespace std::chrono_literals;

constexpr std::uint16_t kTypeA = 1;

std::optional<IpAddress> query_a(int port, const std::string& name, std::uint16_t id = 7) {
    auto reply = udp_exchange(port, make_query(name, kTypeA, {.id = id}), 2s);
    if (!reply) return std::nullopt;
    auto addresses = dns::answer_addresses(*reply);
    if (addresses.size() != 1) return std::nullopt;
    return addresses[0];
}

void expect_still_answers(int port) {
    auto reply = udp_exchange(port, make_query("alive.example", kTypeA), 2s);
    ASSERT_TRUE(reply) << "server stopped answering";
    EXPECT_EQ(rcode_of(*reply), 0);
}

TEST_F(DnsServerRobustness, MalformedUdpPacketsGetFormerrOrNothing) {
    start(base_config());
    ASSERT_GE(malformed_queries().size(), 20u);
    for (const auto& c : malformed_queries()) {
        auto reply = udp_exchange(port, c.bytes, c.expected == QueryVerdict::drop ? 300ms : 2000ms);
        switch (c.expected) {
            case QueryVerdict::drop:
                EXPECT_FALSE(reply) << c.name;
                break;
            case QueryVerdict::formerr:
                ASSERT_TRUE(reply) << c.name;
                EXPECT_EQ(rcode_of(*reply), 1) << c.name;
                break;
            case QueryVerdict::notimp:
                ASSERT_TRUE(reply) << c.name;
                EXPECT_EQ(rcode_of(*reply), 4) << c.name;
                break;
            case QueryVerdict::ok:
                ASSERT_TRUE(reply) << c.name;
                EXPECT_EQ(rcode_of(*reply), 0) << c.name;
                break;
        }
        expect_still_answers(port);
    }
}

TEST_F(DnsServerRobustness, MalformedTcpMessagesGetFormerrOrAClose) {
    start(base_config());
    for (const auto& c : malformed_queries()) {
        TcpDnsClient client(port);
        client.send_framed(c.bytes);
        if (c.expected == QueryVerdict::formerr || c.expected == QueryVerdict::notimp) {
            auto reply = client.read_framed(2s);
            ASSERT_TRUE(reply) << c.name;
            EXPECT_EQ(rcode_of(*reply), c.expected == QueryVerdict::formerr ? 1 : 4) << c.name;
            // The connection stays usable after a FORMERR.
            client.send_framed(make_query("again.example", kTypeA));
            auto again = client.read_framed(2s);
            ASSERT_TRUE(again) << c.name;
            EXPECT_EQ(rcode_of(*again), 0);
        } else if (c.expected == QueryVerdict::drop) {
            EXPECT_TRUE(client.closed_by_peer(2s)) << c.name;
        }
        expect_still_answers(port);
    }
}

TEST_F(DnsServerRobustness, BadTcpLengthPrefixes) {
    start(base_config("tcp_idle_timeout_ms = 500\n"));
    {
        TcpDnsClient zero(port);  // length 0
        zero.send_raw(std::vector<std::uint8_t>{0, 0});
        EXPECT_TRUE(zero.closed_by_peer(2s));
    }
    {
        TcpDnsClient huge(port);  // announces 65535 bytes, sends 20
        std::vector<std::uint8_t> bytes = {0xff, 0xff};
        auto q = make_query("x.example", kTypeA);
        bytes.insert(bytes.end(), q.begin(), q.end());
        huge.send_raw(bytes);
        auto started = std::chrono::steady_clock::now();
        EXPECT_TRUE(huge.closed_by_peer(3s)) << "a stalled message must hit the deadline";
        EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    }
    {
        TcpDnsClient longer(port);  // length larger than the data, then silence
        auto q = make_query("y.example", kTypeA);
        std::vector<std::uint8_t> bytes = {0, static_cast<std::uint8_t>(q.size() + 10)};
        bytes.insert(bytes.end(), q.begin(), q.end());
        longer.send_raw(bytes);
        EXPECT_TRUE(longer.closed_by_peer(3s));
    }
    {
        TcpDnsClient idle(port);  // connects and sends nothing
        EXPECT_TRUE(idle.closed_by_peer(3s));
    }
    {
        TcpDnsClient pipelined(port);  // two queries in one write, both answered
        auto a = make_query("p1.example", kTypeA, {.id = 1});
        auto b = make_query("p2.example", kTypeA, {.id = 2});
        pipelined.send_framed(a);
        pipelined.send_framed(b);
        auto r1 = pipelined.read_framed(2s);
        auto r2 = pipelined.read_framed(2s);
        ASSERT_TRUE(r1 && r2);
        EXPECT_EQ((*r1)[1] + (*r2)[1], 3);
    }
    expect_still_answers(port);
}

TEST_F(DnsServerRobustness, TcpClientThatReadsLateLosesNothing) {
    start(base_config());
    TcpDnsClient client(port);
    constexpr int kQueries = 2000;
    // Written all at once without reading: the server must pause reading (its
    // queue is bounded) and still answer every query once the client reads.
    std::thread writer([&] {
        for (int i = 0; i < kQueries; ++i)
            client.send_framed(make_query("late" + std::to_string(i) + ".example", kTypeA,
                                          {.id = static_cast<std::uint16_t>(i)}));
    });
    std::this_thread::sleep_for(300ms);
    std::set<int> ids;
    for (int i = 0; i < kQueries; ++i) {
        auto reply = client.read_framed(5s);
        ASSERT_TRUE(reply) << "answer " << i << " missing";
        ids.insert(((*reply)[0] << 8) | (*reply)[1]);
    }
    writer.join();
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kQueries));
}

TEST_F(DnsServerRobustness, PoolSurvivesKillNine) {
    start(base_config());
    std::map<std::string, IpAddress> before;
    for (int i = 0; i < 1000; ++i) {
        auto name = "site" + std::to_string(i) + ".example";
        auto address = query_a(port, name, static_cast<std::uint16_t>(i));
        ASSERT_TRUE(address) << name;
        before.emplace(name, *address);
    }
    shunt->kill();  // SIGKILL: no flush, no destructor
    start(base_config());
    for (const auto& [name, address] : before) {
        auto again = query_a(port, name);
        ASSERT_TRUE(again) << name;
        ASSERT_EQ(again->to_string(), address.to_string()) << name;
    }
    // A new name never takes an address handed out before the crash.
    std::set<IpAddress> used;
    for (const auto& [name, address] : before) used.insert(address);
    for (int i = 0; i < 100; ++i) {
        auto fresh = query_a(port, "new" + std::to_string(i) + ".example");
        ASSERT_TRUE(fresh);
        EXPECT_FALSE(used.count(*fresh)) << fresh->to_string();
    }
}

TEST_F(DnsServerRobustness, CorruptStoreIsMovedAsideAndServingGoesOn) {
    dir.write("fakeip.db", "this is not a fake-IP store at all, just text");
    start(base_config());
    auto a = query_a(port, "after.corruption.example");
    ASSERT_TRUE(a);
    EXPECT_NE(shunt->log().find("corrupt"), std::string::npos) << shunt->log();
    auto listing = run_command({"sh", "-c", "ls " + dir.path()});
    EXPECT_NE(listing.out.find("fakeip.db.corrupt-"), std::string::npos) << listing.out;
}

TEST_F(DnsServerRobustness, SighupReloadKeepsPoolAndInflightQueries) {
    // policy: names under slow.example go to a black hole (nobody answers), so a query
    // for one is still in flight when the reload happens.
    int black_hole = free_port();
    auto policy = "[dns.nameserver_policy]\n\"+.slow.example\" = \"udp://127.0.0.1:" +
                  std::to_string(black_hole) + "\"\n";
    start(base_config() + policy);
    auto kept = query_a(port, "kept.example");
    auto refiltered = query_a(port, "real.test");
    ASSERT_TRUE(kept && refiltered);

    std::optional<std::vector<std::uint8_t>> inflight_reply;
    std::thread inflight(
        [&] { inflight_reply = udp_exchange(port, make_query("q.slow.example", 15), 4s); });
    std::this_thread::sleep_for(200ms);
    // The new config filters real.test: it must now get its real address.
    dir.write("shunt.toml", base_config("fake_ip_filter = [\"+.real.test\"]\n") + policy);
    shunt->signal(SIGHUP);
    inflight.join();
    ASSERT_TRUE(inflight_reply) << "a query in flight during the reload got no answer\n"
                                << shunt->log();
    EXPECT_EQ(rcode_of(*inflight_reply),
              2);  // SERVFAIL from its (black-hole) upstream, not silence

    for (int i = 0; i < 50 && shunt->log().find("reloaded") == std::string::npos; ++i)
        std::this_thread::sleep_for(50ms);
    ASSERT_NE(shunt->log().find("reloaded"), std::string::npos) << shunt->log();
    EXPECT_EQ(query_a(port, "kept.example")->to_string(), kept->to_string());
    EXPECT_EQ(query_a(port, "real.test")->to_string(), "192.0.2.7");
    // The dropped mapping is gone from the reverse map too.
    auto ptr = dig(port, "", "", {"-x", refiltered->to_string()});
    EXPECT_EQ(ptr.status(), "NXDOMAIN") << ptr.out;

    // A broken file on reload keeps the running config.
    dir.write("shunt.toml", "[dns]\nbroken = \n");
    shunt->signal(SIGHUP);
    std::this_thread::sleep_for(300ms);
    EXPECT_TRUE(shunt->running());
    EXPECT_EQ(query_a(port, "kept.example")->to_string(), kept->to_string());
    EXPECT_NE(shunt->log().find("keeping the running configuration"), std::string::npos);
}

}  // namespace
}  // namespace shunt::test

// Faulty DNS upstreams behind a real shunt, asked with dig: one slow, one that drops
// everything, one that answers garbage, one that truncates every UDP answer (the real
// answer is then over TCP). The faulty ones are real dnsdist instances with rules in
// front of the test's unbound, except the garbage one (no DNS server sends garbage on
// purpose). Whatever the mix, a client gets an answer or SERVFAIL within the upstream
// timeout, never silence.
#include <poll.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "tests/dns/server/server_fixture.hpp"
#include "tests/support/dnsdist_server.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kUpstreamTimeout = 1000ms;
// What the busy machine may add on top of the timeout before a client hears back.
constexpr auto kSlack = 1500ms;

// Answers every datagram with nonsense: random bytes, the query's id on a header cut
// short, and the query echoed as a response claiming an answer it does not contain.
class GarbagePeer {
  public:
    GarbagePeer() {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            throw std::runtime_error("garbage peer: cannot bind");
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~GarbagePeer() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    int port() const { return port_; }
    int datagrams() const { return datagrams_; }

  private:
    void run() {
        std::mt19937 random(7);
        std::uint8_t query[512];
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            sockaddr_in from{};
            socklen_t length = sizeof from;
            ssize_t n = ::recvfrom(fd_, query, sizeof query, 0, reinterpret_cast<sockaddr*>(&from),
                                   &length);
            if (n < 12) continue;
            ++datagrams_;
            std::vector<std::uint8_t> noise(64);
            for (auto& byte : noise) byte = static_cast<std::uint8_t>(random());
            std::vector<std::uint8_t> short_header = {query[0], query[1], 0x81, 0x80, 0, 1};
            std::vector<std::uint8_t> hollow(query, query + n);
            hollow[2] |= 0x80;  // QR
            hollow[7] = 1;      // ANCOUNT 1, and no answer follows
            for (const auto* reply : {&noise, &short_header, &hollow})
                ::sendto(fd_, reply->data(), reply->size(), 0, reinterpret_cast<sockaddr*>(&from),
                         length);
        }
    }

    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_ = false;
    std::atomic<int> datagrams_ = 0;
    std::thread thread_;
};

class DnsUpstreamFaults : public ServerFixture {
  protected:
    DnsdistServer faulty(const std::string& lua) {
        return DnsdistServer(
            {.backend_port = upstream_port, .certificate = certificate, .extra_lua = lua});
    }
    static std::string udp(int port) { return "\"udp://127.0.0.1:" + std::to_string(port) + "\""; }

    // shunt with these upstreams (no cache: every query goes out).
    void start_with(const std::vector<std::string>& upstreams) {
        std::string list;
        for (const auto& u : upstreams) list += (list.empty() ? "" : ", ") + u;
        shunt.reset();
        start("[dns]\nlisten = [\"127.0.0.1:" + std::to_string(port) + "\"]\n" +
              "fake_ip_store = \"" + store_path + "\"\nupstreams = [" + list + "]\n" +
              "upstream_timeout_ms = " + std::to_string(kUpstreamTimeout.count()) +
              "\ncache_size = 0\n");
    }

    struct Asked {
        std::string status;  // NOERROR, SERVFAIL, "" for no answer at all
        bool has_answer = false;
        std::chrono::milliseconds elapsed{};
    };
    // www.test MX: not an address, so shunt forwards it to its upstreams.
    Asked ask() const {
        const auto start = Clock::now();
        auto result = dig(port, "www.test", "MX", {"+time=8"});
        Asked asked;
        asked.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        asked.status = result.status();
        asked.has_answer = result.out.find("10 mail.test.") != std::string::npos;
        return asked;
    }
    void expect_answered(const char* what) const {
        for (int i = 0; i < 3; ++i) {
            Asked asked = ask();
            EXPECT_EQ(asked.status, "NOERROR") << what;
            EXPECT_TRUE(asked.has_answer) << what;
            EXPECT_LT(asked.elapsed, kUpstreamTimeout + kSlack) << what;
        }
    }
    void expect_servfail(const char* what) const {
        for (int i = 0; i < 3; ++i) {
            Asked asked = ask();
            EXPECT_EQ(asked.status, "SERVFAIL") << what << shunt->log();
            EXPECT_LT(asked.elapsed, kUpstreamTimeout + kSlack) << what;
        }
    }

    TestCa ca;
    TestCertificate certificate = ca.issue("dns.test", "127.0.0.1");
};

TEST_F(DnsUpstreamFaults, EachFaultAloneGetsAnAnswerOrServfailWithinTheTimeout) {
    auto slow = faulty("addAction(AllRule(), DelayAction(300))");
    auto too_slow = faulty("addAction(AllRule(), DelayAction(3000))");
    auto dropping = faulty("addAction(AllRule(), DropAction())");
    auto truncating = faulty("addAction(AllRule(), TCAction())");
    GarbagePeer garbage;

    start_with({udp(slow.dns_port())});
    const auto start = Clock::now();
    expect_answered("slow upstream");
    EXPECT_GE(Clock::now() - start, 3 * 300ms) << "the delay did not apply";

    start_with({udp(too_slow.dns_port())});
    expect_servfail("upstream slower than the timeout");

    start_with({udp(dropping.dns_port())});
    expect_servfail("upstream dropping everything");

    start_with({udp(garbage.port())});
    expect_servfail("upstream answering garbage");
    EXPECT_GE(garbage.datagrams(), 3);

    // TC on every UDP answer: shunt asks again over TCP, which dnsdist passes through.
    start_with({udp(truncating.dns_port())});
    expect_answered("upstream truncating every UDP answer");
}

TEST_F(DnsUpstreamFaults, OneWorkingUpstreamAmongFaultyOnesAnswersEveryQuery) {
    auto too_slow = faulty("addAction(AllRule(), DelayAction(3000))");
    auto dropping = faulty("addAction(AllRule(), DropAction())");
    auto truncating = faulty("addAction(AllRule(), TCAction())");
    GarbagePeer garbage;

    // Only the truncating one can answer (over TCP).
    start_with({udp(too_slow.dns_port()), udp(dropping.dns_port()), udp(garbage.port()),
                udp(truncating.dns_port())});
    expect_answered("the truncating upstream among three failing ones");

    // The plain unbound among them: its answer wins at once, not after the timeout.
    start_with({udp(too_slow.dns_port()), udp(dropping.dns_port()), udp(garbage.port()),
                udp(upstream_port)});
    for (int i = 0; i < 3; ++i) {
        Asked asked = ask();
        EXPECT_EQ(asked.status, "NOERROR");
        EXPECT_TRUE(asked.has_answer);
        EXPECT_LT(asked.elapsed, kUpstreamTimeout) << "waited for the failing upstreams";
    }

    // None that can answer: SERVFAIL within the timeout, and shunt keeps serving.
    start_with({udp(too_slow.dns_port()), udp(dropping.dns_port()), udp(garbage.port())});
    expect_servfail("three failing upstreams");
    auto fake = dig(port, "fake.example", "A", {"+short"});
    ASSERT_EQ(fake.lines().size(), 1u) << fake.out;
    EXPECT_TRUE(in_fake_range(fake.lines()[0])) << fake.out;
}

}  // namespace
}  // namespace shunt::test

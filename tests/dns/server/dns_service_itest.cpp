// DnsService in-process: what the rest of shunt will call (domain_for, the reverse
// lookup of a destination address) and listening on IPv6 as well as IPv4.
#include "dns/server/dns_service.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "config/config_loader.hpp"
#include "dns/resolve/message_scan.hpp"
#include "tests/dns/server/server_fixture.hpp"
#include "tests/support/dns_client.hpp"
#include "tests/support/malformed_queries.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

// Runs a DnsService on its own event loop thread; calls into it are posted there.
class RunningService {
  public:
    explicit RunningService(std::shared_ptr<const Config> config) {
        service_ = std::make_unique<dns::DnsService>(io_.get_executor(), std::move(config));
        service_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    template <typename F>
    auto call(F f) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        boost::asio::post(io_, [&task] { task(); });
        return result.get();
    }
    ~RunningService() {
        call([this] { service_->stop(); });
        guard_.reset();
        io_.stop();
        thread_.join();
    }
    dns::DnsService& service() { return *service_; }
    boost::asio::io_context::executor_type executor() { return io_.get_executor(); }

  private:
    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
        io_.get_executor()};
    std::unique_ptr<dns::DnsService> service_;
    std::thread thread_;
};

// In-memory pool: these tests are about the service, not the store.
std::shared_ptr<const Config> config_from(const std::string& text) {
    auto r = parse_config(text + "[log]\nlevel = \"warn\"\n", "/tmp/service.toml");
    if (!r.config) throw std::runtime_error(r.errors.empty() ? "no config" : r.errors[0].format());
    auto config = std::make_shared<Config>(*r.config);
    config->dns.fake_ip_store.clear();
    return config;
}

std::vector<IpAddress> addresses_of(int port, const std::string& name, std::uint16_t qtype) {
    auto reply = udp_exchange(port, make_query(name, qtype), 2s);
    return reply ? dns::answer_addresses(*reply) : std::vector<IpAddress>{};
}

using DnsServiceTest = ServerFixture;

TEST_F(DnsServiceTest, DomainForMapsFakeAddressesBackToTheirNames) {
    RunningService running(config_from(base_config("fake_ip_range6 = \"fd00:18::/64\"\n")));
    auto v4 = addresses_of(port, "WWW.Example.org", 1);
    auto v6 = addresses_of(port, "www.example.org", 28);
    ASSERT_EQ(v4.size(), 1u);
    ASSERT_EQ(v6.size(), 1u);
    EXPECT_EQ(running.call([&] { return running.service().domain_for(v4[0]); }), "www.example.org");
    EXPECT_EQ(running.call([&] { return running.service().domain_for(v6[0]); }), "www.example.org");
    // An address of the pool that was never handed out, and one outside it.
    EXPECT_FALSE(running.call(
        [&] { return running.service().domain_for(*IpAddress::parse("198.19.200.1")); }));
    EXPECT_FALSE(
        running.call([&] { return running.service().domain_for(*IpAddress::parse("192.0.2.1")); }));
}

TEST_F(DnsServiceTest, RedirHostRemembersRealAnswers) {
    RunningService running(config_from(base_config("mode = \"redir-host\"\n")));
    auto a = addresses_of(port, "www.test", 1);
    auto aaaa = addresses_of(port, "v6only.test", 28);
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(aaaa.size(), 1u);
    EXPECT_EQ(a[0].to_string(), "192.0.2.1");
    EXPECT_EQ(running.call([&] { return running.service().domain_for(a[0]); }), "www.test");
    EXPECT_EQ(running.call([&] { return running.service().domain_for(aaaa[0]); }), "v6only.test");
}

TEST_F(DnsServiceTest, ServesEveryListenAddressIncludingIpv6) {
    int port6 = free_port();
    RunningService running(config_from(
        "[dns]\nlisten = [\"127.0.0.1:" + std::to_string(port) +
        "\", \"[::1]:" + std::to_string(port6) +
        "\"]\nupstreams = [\"udp://127.0.0.1:" + std::to_string(upstream_port) + "\"]\n"));
    auto r4 = dig(port, "both.example", "A", {"+short"});
    auto r6 = run_command({"dig", "@::1", "-p", std::to_string(port6), "both.example", "A",
                           "+short", "+time=2", "+tries=1"});
    auto r6tcp = run_command({"dig", "@::1", "-p", std::to_string(port6), "both.example", "A",
                              "+short", "+tcp", "+time=2", "+tries=1"});
    ASSERT_EQ(r4.lines().size(), 1u) << r4.out;
    EXPECT_EQ(r6.out, r4.out);
    EXPECT_EQ(r6tcp.out, r4.out);
}

// UDP answers come from the answer thread: with the main loop blocked, fake-IP answers
// still come, a forwarded query waits for the resolver on the main loop and is answered
// once it runs, and the thread carries its name.
TEST_F(DnsServiceTest, UdpIsAnsweredOnItsOwnThreadWhileTheMainLoopIsBusy) {
    RunningService running(config_from(base_config()));
    std::promise<void> release;
    std::promise<void> blocked;
    boost::asio::post(running.executor(), [&] {
        blocked.set_value();
        release.get_future().wait();
    });
    blocked.get_future().wait();

    UdpDnsClient forwarded(port);
    forwarded.send(make_query("www.test", 15));  // MX: only unbound knows it
    for (int i = 0; i < 50; ++i) {
        auto a = addresses_of(port, "name" + std::to_string(i) + ".example", 1);
        ASSERT_EQ(a.size(), 1u) << "fake answer " << i << " while the main loop is blocked";
        EXPECT_TRUE(in_fake_range(a[0].to_string()));
    }
    // The resolver lives on the blocked loop: nothing can have answered the MX query.
    EXPECT_FALSE(forwarded.receive(200ms)) << "answered without the resolver's loop";
    release.set_value();
    auto mx = forwarded.receive(3s);
    ASSERT_TRUE(mx) << "the forwarded query was lost crossing threads";
    EXPECT_EQ(rcode_of(*mx), 0);
    EXPECT_GE(mx->size(), 40u) << "an MX answer, not an empty one";

    bool named = false;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(entry.path() / "comm");
        std::string name;
        std::getline(comm, name);
        named = named || name == "shunt-dns";
    }
    EXPECT_TRUE(named) << "no thread named shunt-dns";
}

// Reloads swap the answer thread's policy while it answers: every query gets an answer,
// forwarded ones included (ASan/TSan watch the hand-offs). A forwarded query may come
// back SERVFAIL on a machine too busy for unbound's second; a fake one must not fail.
TEST_F(DnsServiceTest, ReloadsWhileTheAnswerThreadServes) {
    RunningService running(config_from(base_config()));
    std::atomic<bool> done{false};
    std::atomic<int> answered{0}, lost{0}, failed_fake{0};
    std::thread client([&] {
        for (int i = 0; !done; ++i) {
            const bool forward = i % 4 == 0;
            auto reply =
                udp_exchange(port,
                             make_query(forward ? "www.test" : "r" + std::to_string(i) + ".example",
                                        forward ? 15 : 1),
                             5s);
            if (!reply) {
                ++lost;
                continue;
            }
            ++answered;
            if (!forward && rcode_of(*reply) != 0) ++failed_fake;
        }
    });
    for (int i = 0; i < 30; ++i) {
        const auto filter = "fake_ip_filter = [\"+.f" + std::to_string(i) + ".example\"]\n";
        running.call([&] { running.service().reload(config_from(base_config(filter))); });
        std::this_thread::sleep_for(20ms);
    }
    done = true;
    client.join();
    EXPECT_GT(answered.load(), 30);
    EXPECT_EQ(lost.load(), 0);
    EXPECT_EQ(failed_fake.load(), 0);
}

TEST_F(DnsServiceTest, ListenAddressInUseIsAStartupErrorNamingIt) {
    int blocker = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    boost::asio::io_context io;
    dns::DnsService service(io.get_executor(), config_from(base_config()));
    try {
        service.start();
        ADD_FAILURE() << "start() succeeded on a port in use";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)),
                  std::string::npos)
            << e.what();
    }
    ::close(blocker);
}

}  // namespace
}  // namespace shunt::test

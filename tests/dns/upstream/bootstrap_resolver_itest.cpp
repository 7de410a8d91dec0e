// BootstrapResolver against a real unbound: A first, AAAA when there is no A,
// caching, and errors.
#include "dns/upstream/bootstrap_resolver.hpp"

#include <boost/asio/ip/udp.hpp>

#include "dns/upstream/upstream_error.hpp"
#include "tests/dns/upstream/upstream_test_support.hpp"

namespace shunt::test {
namespace {

using namespace std::chrono_literals;

struct Resolution {
    boost::system::error_code ec;
    std::vector<IpAddress> addresses;
    int calls = 0;
};

class BootstrapResolverTest : public ::testing::Test {
  protected:
    std::shared_ptr<dns::BootstrapResolver> make(const std::string& name,
                                                 std::vector<std::string> bootstrap) {
        dns::UpstreamOptions options;
        options.timeout = 500ms;
        for (const auto& b : bootstrap) options.bootstrap.push_back(parse_spec(b));
        return std::make_shared<dns::BootstrapResolver>(io.get_executor(), name, options);
    }

    Resolution resolve(dns::BootstrapResolver& resolver) {
        Resolution result;
        resolver.resolve([&](boost::system::error_code ec, std::vector<IpAddress> addresses) {
            ++result.calls;
            result.ec = ec;
            result.addresses = std::move(addresses);
        });
        io.restart();
        for (int i = 0; i < 1000 && result.calls == 0; ++i) io.run_one_for(10ms);
        return result;
    }

    boost::asio::io_context io;
    UpstreamPeers& peers = UpstreamPeers::get();
};

TEST_F(BootstrapResolverTest, FindsTheAddressRecord) {
    auto resolver = make("dns.test", {peers.udp_url()});
    auto result = resolve(*resolver);
    ASSERT_FALSE(result.ec) << result.ec.message();
    EXPECT_EQ(result.addresses, std::vector<IpAddress>{*IpAddress::parse("127.0.0.1")});
}

TEST_F(BootstrapResolverTest, FallsBackToAaaa) {
    auto resolver = make("v6only.test", {peers.tcp_url()});
    auto result = resolve(*resolver);
    ASSERT_FALSE(result.ec) << result.ec.message();
    EXPECT_EQ(result.addresses, std::vector<IpAddress>{*IpAddress::parse("2001:db8::2")});
}

TEST_F(BootstrapResolverTest, CachesForTheTtlAndSkipsDeadBootstraps) {
    boost::asio::ip::udp::socket black_hole(
        io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    auto dead = "udp://127.0.0.1:" + std::to_string(black_hole.local_endpoint().port());
    auto resolver = make("www.test", {dead, peers.udp_url()});
    auto start = std::chrono::steady_clock::now();
    auto first = resolve(*resolver);
    ASSERT_FALSE(first.ec) << first.ec.message();
    EXPECT_GE(std::chrono::steady_clock::now() - start, 500ms);  // waited out the dead one
    start = std::chrono::steady_clock::now();
    auto second = resolve(*resolver);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 50ms);  // from the cache
    EXPECT_EQ(second.addresses, first.addresses);
    EXPECT_EQ(first.addresses, std::vector<IpAddress>{*IpAddress::parse("192.0.2.1")});
}

TEST_F(BootstrapResolverTest, ReportsNoAddressAndDeadBootstraps) {
    auto resolver = make("nothing.test", {peers.udp_url()});
    EXPECT_EQ(resolve(*resolver).ec, dns::UpstreamErrc::no_address);
    resolver = make("www.test", {"udp://127.0.0.1:" + std::to_string(free_port())});
    EXPECT_EQ(resolve(*resolver).ec, boost::asio::error::connection_refused);
}

TEST_F(BootstrapResolverTest, RejectsEncryptedBootstraps) {
    EXPECT_THROW(make("dns.test", {"tls://127.0.0.1"}), std::invalid_argument);
}

}  // namespace
}  // namespace shunt::test

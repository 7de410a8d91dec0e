// Carriers on threads of their own (CarrierThreads, as `shunt run` sets them up): a proxy
// with two carriers gets one pool per carrier, each on its own thread; flows spread over
// both, their bytes arrive intact both ways, UDP goes through, and a proxy replaced by a
// reload lets its flows finish. Also built under ThreadSanitizer (shunt_tsan_tests).
#include <gtest/gtest.h>

#include <dirent.h>

#include <fstream>
#include <set>
#include <string>

#include <boost/asio/ip/udp.hpp>

#include "net/event_loop_thread.hpp"
#include "tests/support/mux_fixture.hpp"

namespace shunt::outbound::mux::test {
namespace {

// The names of this process's threads (/proc/self/task/*/comm).
std::multiset<std::string> thread_names() {
    std::multiset<std::string> names;
    DIR* dir = ::opendir("/proc/self/task");
    if (dir == nullptr) return names;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        std::ifstream comm(std::string("/proc/self/task/") + entry->d_name + "/comm");
        std::string name;
        std::getline(comm, name);
        names.insert(name);
    }
    ::closedir(dir);
    return names;
}

class MuxCarrierThreads : public MuxFixture {
  protected:
    MuxCarrierThreads() { carrier_threads = std::make_unique<CarrierThreads>(2); }
};

TEST_F(MuxCarrierThreads, TwoCarriersRunOnTwoThreadsAndFlowsSpreadOverThem) {
    start_server();
    auto options = client_options();
    options.carriers = 2;
    auto client = make_client(options);
    ASSERT_EQ(client->pool_count(), 2U);
    ASSERT_EQ(client->threaded_pools(), 2U);
    EXPECT_EQ(carrier_threads->started(), 2U);
    const auto names = thread_names();
    EXPECT_EQ(names.count("shunt-mux-0"), 1U);
    EXPECT_EQ(names.count("shunt-mux-1"), 1U);

    // Both carriers come up with the first flow (one pool starts all of its carriers).
    std::string reason;
    auto first = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(first) << reason;
    ASSERT_TRUE(run_until([&] { return server->carrier_count() == 2; })) << server->carrier_count();

    std::vector<std::unique_ptr<Stream>> streams;
    streams.push_back(std::move(first));
    for (int i = 1; i < 8; ++i) {
        auto stream = connect(*client, echo_target.port(), reason);
        ASSERT_TRUE(stream) << reason;
        streams.push_back(std::move(stream));
    }
    EXPECT_EQ(client->streams_on(0) + client->streams_on(1), 8U);
    EXPECT_GE(client->streams_on(0), 3U);
    EXPECT_GE(client->streams_on(1), 3U);

    // More than the hand-off's receive capacity and the mux window, each way.
    for (std::size_t i = 0; i < streams.size(); ++i) {
        const auto data = random_bytes(1'500'000, static_cast<unsigned>(i + 1));
        std::vector<std::uint8_t> back;
        ASSERT_TRUE(echo(*streams[i], data, back)) << "stream " << i;
        ASSERT_EQ(back, data) << "stream " << i;
    }
    for (auto& stream : streams) stream->close(true);
    streams.clear();
    EXPECT_EQ(client->streams_on(0) + client->streams_on(1), 0U);
    EXPECT_TRUE(run_until([&] { return server->stream_count() == 0; })) << server->stream_count();
}

TEST_F(MuxCarrierThreads, ARetiredProxysFlowsFinishOnTheirThread) {
    start_server();
    auto options = client_options();
    options.carriers = 2;
    auto client = make_client(options);
    std::string reason;
    auto stream = connect(*client, echo_target.port(), reason);
    ASSERT_TRUE(stream) << reason;
    client.reset();  // a reload replaced the proxy: the flow keeps its carrier

    const auto data = random_bytes(800'000, 7);
    std::vector<std::uint8_t> back;
    ASSERT_TRUE(echo(*stream, data, back));
    EXPECT_EQ(back, data);
    stream->close(true);
    stream.reset();
    // The carrier goes once its last stream finished.
    EXPECT_TRUE(run_until([&] { return server->carrier_count() == 0; })) << server->carrier_count();
}

TEST_F(MuxCarrierThreads, UdpFlowsGoThroughACarrierOnItsThread) {
    start_server();
    using udp = boost::asio::ip::udp;
    udp::socket target_socket(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    std::array<char, 2048> buffer{};
    udp::endpoint sender;
    std::function<void()> echo_back = [&] {
        target_socket.async_receive_from(
            boost::asio::buffer(buffer), sender,
            [&](const boost::system::error_code& ec, std::size_t n) {
                if (ec) return;
                boost::system::error_code ignored;
                target_socket.send_to(boost::asio::buffer(buffer.data(), n), sender, 0, ignored);
                echo_back();
            });
    };
    echo_back();

    auto client = make_client(client_options());
    Target target;
    target.address = IpAddress::parse("127.0.0.1");
    target.port = target_socket.local_endpoint().port();
    const Endpoint as_seen{*IpAddress::parse("198.18.0.9"), 53};
    std::string refusal;
    auto flow = client->open_udp(target, as_seen, refusal);
    ASSERT_TRUE(flow) << refusal;
    EXPECT_EQ(client->streams_on(0), 1U);  // UDP flows count where new flows go
    std::vector<std::string> replies;
    std::vector<Endpoint> sources;
    std::string error;
    flow->start(
        [&](std::span<const std::uint8_t> payload, const Endpoint& from) {
            replies.emplace_back(payload.begin(), payload.end());
            sources.push_back(from);
        },
        [&](std::string_view why) { error = why; });
    // Request and answer, as DNS does (before the stream is open only a few datagrams
    // wait; more are dropped, as a full socket buffer drops them).
    for (std::size_t i = 0; i < 20; ++i) {
        const std::string payload = "datagram " + std::to_string(i);
        ASSERT_EQ(
            flow->send({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()},
                       as_seen),
            UdpSendResult::sent);
        ASSERT_TRUE(run_until([&] { return replies.size() == i + 1 || !error.empty(); }))
            << i << " " << error;
        EXPECT_EQ(replies.back(), payload);
    }
    EXPECT_TRUE(error.empty()) << error;
    std::set<std::string> distinct(replies.begin(), replies.end());
    EXPECT_EQ(distinct.size(), 20U);
    for (const auto& from : sources) EXPECT_EQ(from, as_seen);
    flow->close();
    flow.reset();
    EXPECT_EQ(client->streams_on(0), 0U);
    EXPECT_TRUE(run_until([&] { return server->stream_count() == 0; })) << server->stream_count();
}

}  // namespace
}  // namespace shunt::outbound::mux::test

// NetstackService on a socketpair(AF_UNIX, SOCK_DGRAM) instead of a TUN device
// (start_on_fd): no root, no device, no routes. The test writes packets into one end as
// an application's kernel would and reads what shunt answers from it.
//
// The half-open guard: at max_half_open, a new SYN is answered with an RST before lwIP
// sees it. lwIP reassembles IPv4 fragments of TCP, so a SYN can also arrive as a first
// fragment plus the rest; the guard used to look only at whole packets, and fragmented
// SYNs opened handshakes past the cap (found by fuzz_tun_packets).
#include "netstack/netstack_service.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "config/config_loader.hpp"
#include "dns/server/dns_service.hpp"
#include "flow/flow_classifier.hpp"
#include "flow/flow_registry.hpp"
#include "net/byte_order.hpp"
#include "outbound/outbound_builder.hpp"
#include "outbound/outbound_set.hpp"
#include "rules/engine/rule_build.hpp"
#include "tests/netstack/packet/packet_test_util.hpp"
#include "tests/support/table_destination_names.hpp"

namespace shunt::netstack {
namespace {

constexpr std::uint8_t kSyn = 0x02, kRst = 0x04, kAck = 0x10;

// A TCP SYN 10.0.0.2:`port` -> 198.18.3.4:80 with 12 bytes of options (MSS, NOPs): a
// 32-byte segment, so its first fragment can carry the whole 20-byte header.
std::vector<std::uint8_t> syn(std::uint16_t port) {
    auto packet = test::raw_ipv4(6, 32);
    const std::uint8_t source[4] = {10, 0, 0, 2};
    std::copy(source, source + 4, packet.begin() + 12);
    std::uint8_t* tcp = packet.data() + 20;
    std::fill(tcp, tcp + 32, 0);
    write_u16(tcp, port);
    write_u16(tcp + 2, 80);
    write_u32(tcp + 4, 1000);
    tcp[12] = 8 << 4;
    tcp[13] = kSyn;
    write_u16(tcp + 14, 65535);
    const std::uint8_t options[12] = {2, 4, 0x05, 0xb4, 1, 1, 1, 1, 1, 1, 1, 1};
    std::copy(options, options + 12, tcp + 20);
    return packet;
}

// `packet` as two IPv4 fragments, the first with `first` bytes of its payload. lwIP's
// reassembly queue is process-wide and outlives a stack: each test uses its own `id`.
std::vector<std::vector<std::uint8_t>> fragments(const std::vector<std::uint8_t>& packet,
                                                 std::size_t first, std::uint8_t id) {
    std::vector<std::uint8_t> head(packet.begin(), packet.begin() + 20 + first);
    std::vector<std::uint8_t> tail(packet.begin(), packet.begin() + 20);
    tail.insert(tail.end(), packet.begin() + 20 + first, packet.end());
    write_u16(&head[2], static_cast<std::uint16_t>(head.size()));
    write_u16(&head[6], 0x2000);  // MF, offset 0
    write_u16(&tail[2], static_cast<std::uint16_t>(tail.size()));
    write_u16(&tail[6], static_cast<std::uint16_t>(first / 8));
    head[5] = tail[5] = id;  // one identification for both
    return {head, tail};
}

struct Answer {
    std::uint16_t port = 0;  // the application's port the TCP segment goes to
    std::uint8_t flags = 0;
};

class NetstackServiceTest : public ::testing::Test {
  protected:
    NetstackServiceTest() {
        auto loaded = parse_config(R"(rules = ["MATCH,REJECT"])"
                                   "\n[dns]\nupstreams = [\"udp://127.0.0.1:9\"]\n"
                                   "fake_ip_store = \"\"\n",
                                   "test.toml");
        for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
        auto config = std::make_shared<Config>(*loaded.config);
        config->dns.upstreams.clear();  // nothing leaves the process
        auto built = rules::build_rules(*config);
        auto engine = std::make_shared<rules::RuleEngine>(built.rules, config->mode);
        auto outbounds = outbound::build_outbounds(*config, io_.get_executor(), nullptr).set;
        classifier_ = std::make_unique<flow::FlowClassifier>(names_, engine, outbounds);
        dns_ = std::make_unique<dns::DnsService>(io_.get_executor(), config);
        tun_ = config->tun;
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds_), 0);
    }
    ~NetstackServiceTest() override {
        if (service_) service_->stop();
        io_.restart();
        io_.poll();
        service_.reset();
        ::close(fds_[0]);
        ::close(fds_[1]);
    }

    void start() {
        service_ = std::make_unique<NetstackService>(
            io_.get_executor(), tun_, std::vector<Prefix>{*Prefix::parse("198.18.0.0/15")}, *dns_,
            *classifier_, registry_);
        service_->start_on_fd(fds_[0]);
    }

    // Writes the packet into the device and returns the TCP segments shunt answered.
    std::vector<Answer> send(const std::vector<std::uint8_t>& packet) {
        EXPECT_EQ(::send(fds_[1], packet.data(), packet.size(), 0),
                  static_cast<ssize_t>(packet.size()));
        io_.restart();
        io_.run_for(std::chrono::milliseconds(20));
        std::vector<Answer> answers;
        std::uint8_t buffer[2048];
        for (;;) {
            const ssize_t n = ::recv(fds_[1], buffer, sizeof buffer, MSG_DONTWAIT);
            if (n < 0) break;
            if (n >= 40 && buffer[9] == 6) answers.push_back({read_u16(buffer + 22), buffer[33]});
        }
        return answers;
    }

    boost::asio::io_context io_;
    flow::test::TableNames names_{io_};
    std::unique_ptr<flow::FlowClassifier> classifier_;
    std::unique_ptr<dns::DnsService> dns_;
    flow::FlowRegistry registry_;
    TunConfig tun_;
    int fds_[2] = {-1, -1};
    std::unique_ptr<NetstackService> service_;
};

TEST_F(NetstackServiceTest, RunsOnTheCallersDescriptorWithoutADevice) {
    start();
    EXPECT_EQ(service_->tun_ifindex(), 0);
    const auto answers = send(syn(40000));
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].port, 40000);
    EXPECT_EQ(answers[0].flags, kSyn | kAck);
}

TEST_F(NetstackServiceTest, ASynAtTheHalfOpenCapIsRefusedWithAnRst) {
    tun_.max_half_open = 1;
    start();
    ASSERT_EQ(send(syn(40000)).size(), 1u);
    const auto answers = send(syn(40001));
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].port, 40001);
    EXPECT_EQ(answers[0].flags, kRst | kAck);
    EXPECT_EQ(service_->stats().half_open_refused, 1u);
}

TEST_F(NetstackServiceTest, AFragmentedSynAtTheHalfOpenCapIsRefusedToo) {
    tun_.max_half_open = 1;
    start();
    ASSERT_EQ(send(syn(40000)).size(), 1u);
    const auto parts = fragments(syn(40001), 24, 1);
    const auto first = send(parts[0]);
    ASSERT_EQ(first.size(), 1u) << "the first fragment carries the SYN: refused at once";
    EXPECT_EQ(first[0].port, 40001);
    EXPECT_EQ(first[0].flags, kRst | kAck);
    EXPECT_TRUE(send(parts[1]).empty()) << "no handshake past the cap (no SYN-ACK)";
    EXPECT_EQ(service_->stats().half_open_refused, 1u);
}

// Below the cap a fragmented SYN is reassembled by lwIP and answered, as before.
TEST_F(NetstackServiceTest, AFragmentedSynBelowTheCapIsAnswered) {
    start();
    const auto parts = fragments(syn(40001), 24, 2);
    EXPECT_TRUE(send(parts[0]).empty());
    const auto answers = send(parts[1]);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].flags, kSyn | kAck);
}

}  // namespace
}  // namespace shunt::netstack

// Socks5Outbound and Socks5UdpOutbound against a scripted fake proxy on loopback: what is
// requested (a domain, never the fake IP), how failures are reported, the UDP association's
// queue, address mapping, drops and teardown.
#include "outbound/socks5/socks5_outbound.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>

#include <boost/asio/ip/udp.hpp>

#include "outbound/socks5/socks5_handshake.hpp"
#include "outbound/socks5/socks5_udp_header.hpp"
#include "outbound/socks5/socks5_udp_outbound.hpp"
#include "tests/outbound/socks5/scripted_proxy.hpp"

namespace shunt::outbound {
namespace {

using test::Bytes;
using test::bytes_of;
using test::concat;
using test::ScriptedProxy;

const Bytes kBound = bytes_of({5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90});

Target target_of(std::string domain, std::optional<const char*> address, std::uint16_t port) {
    Target target;
    target.domain = std::move(domain);
    if (address) target.address = *IpAddress::parse(*address);
    target.port = port;
    return target;
}

bool contains(const Bytes& haystack, const Bytes& needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
           haystack.end();
}

class Socks5OutboundTest : public ::testing::Test {
  protected:
    struct ConnectOutcome {
        int calls = 0;
        boost::system::error_code error;
        std::unique_ptr<Stream> stream;
        std::string reason;
        std::chrono::steady_clock::duration elapsed{};
    };

    Socks5Options options_for(std::uint16_t port) {
        Socks5Options options;
        options.name = "proxy";
        options.server = "127.0.0.1";
        options.port = port;
        options.connect_timeout = std::chrono::milliseconds(2000);
        return options;
    }

    ConnectOutcome connect(Socks5Outbound& outbound, const Target& target) {
        ConnectOutcome outcome;
        const auto started = std::chrono::steady_clock::now();
        outbound.connect(target, [&](const boost::system::error_code& error,
                                     std::unique_ptr<Stream> stream, std::string reason) {
            ++outcome.calls;
            outcome.elapsed = std::chrono::steady_clock::now() - started;
            outcome.error = error;
            outcome.stream = std::move(stream);
            outcome.reason = std::move(reason);
        });
        EXPECT_EQ(outcome.calls, 0) << "handler ran inline";
        run_until([&] { return outcome.calls > 0; }, std::chrono::seconds(4));
        io_.poll();
        EXPECT_EQ(outcome.calls, 1);
        return outcome;
    }

    void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < until) {
            io_.run_one_for(std::chrono::milliseconds(20));
        }
        io_.restart();
    }

    boost::asio::io_context io_;
};

TEST_F(Socks5OutboundTest, ConnectRequestsTheDomainNeverTheFakeAddress) {
    const Target target = target_of("www.test", "198.18.0.5", 80);
    const Bytes request = encode_socks5_request(Socks5Command::connect, {"www.test", {}, 80});
    ScriptedProxy proxy(io_, {{3, {5, 0}}, {request.size(), kBound}},
                        ScriptedProxy::End::stay_open);
    Socks5Outbound outbound(io_.get_executor(), options_for(proxy.port()), {});
    EXPECT_EQ(outbound.type(), OutboundType::socks5);
    EXPECT_EQ(outbound.name(), "proxy");
    const auto outcome = connect(outbound, target);
    ASSERT_FALSE(outcome.error) << outcome.reason;
    ASSERT_TRUE(outcome.stream);
    EXPECT_EQ(proxy.received(), concat(bytes_of({5, 1, 0}), request));
    EXPECT_FALSE(contains(proxy.received(), bytes_of({198, 18, 0, 5})));
}

TEST_F(Socks5OutboundTest, ConnectByAddressWhenThereIsNoDomain) {
    const Bytes request =
        encode_socks5_request(Socks5Command::connect, {{}, *IpAddress::parse("192.0.2.4"), 443});
    ScriptedProxy proxy(io_, {{3, {5, 0}}, {request.size(), kBound}},
                        ScriptedProxy::End::stay_open);
    Socks5Outbound outbound(io_.get_executor(), options_for(proxy.port()), {});
    const auto outcome = connect(outbound, target_of("", "192.0.2.4", 443));
    ASSERT_FALSE(outcome.error) << outcome.reason;
    EXPECT_EQ(proxy.received(), concat(bytes_of({5, 1, 0}), request));
}

TEST_F(Socks5OutboundTest, RefusedProxyIsReportedWithTheDialReason) {
    std::uint16_t closed_port = 0;
    {
        boost::asio::ip::tcp::acceptor probe(io_,
                                             {boost::asio::ip::make_address_v4("127.0.0.1"), 0});
        closed_port = probe.local_endpoint().port();
    }
    Socks5Outbound outbound(io_.get_executor(), options_for(closed_port), {});
    const auto outcome = connect(outbound, target_of("www.test", std::nullopt, 80));
    EXPECT_EQ(outcome.error, boost::asio::error::connection_refused);
    EXPECT_EQ(outcome.reason.rfind("socks5 proxy: connect www.test:80: connect 127.0.0.1:", 0), 0u)
        << outcome.reason;
    EXPECT_NE(outcome.reason.find("refused"), std::string::npos) << outcome.reason;
}

TEST_F(Socks5OutboundTest, ServerGivenByNameIsLookedUp) {
    ScriptedProxy proxy(io_, {{3, {5, 0xff}}});
    Socks5Options options = options_for(proxy.port());
    options.server = "proxy.test";
    std::vector<std::string> asked;
    Socks5Outbound outbound(io_.get_executor(), options,
                            [&](const std::string& name, AddressCallback done) {
                                asked.push_back(name);
                                if (name == "proxy.test") {
                                    done({}, {*IpAddress::parse("127.0.0.1")});
                                } else {
                                    done(boost::asio::error::host_not_found, {});
                                }
                            });
    auto outcome = connect(outbound, target_of("www.test", std::nullopt, 80));
    EXPECT_EQ(asked, std::vector<std::string>{"proxy.test"});
    EXPECT_EQ(outcome.error, Socks5Errc::no_acceptable_method);
    EXPECT_EQ(outcome.reason,
              "socks5 proxy: connect www.test:80: no acceptable authentication method");

    options.server = "nowhere.test";
    Socks5Outbound unknown(io_.get_executor(), options,
                           [](const std::string&, AddressCallback done) {
                               done(boost::asio::error::host_not_found, {});
                           });
    outcome = connect(unknown, target_of("www.test", std::nullopt, 80));
    EXPECT_EQ(outcome.error, boost::asio::error::host_not_found);
    EXPECT_NE(outcome.reason.find("resolve nowhere.test"), std::string::npos) << outcome.reason;
}

TEST_F(Socks5OutboundTest, SilentProxyTimesOutWithinConnectTimeout) {
    ScriptedProxy proxy(io_, {{3, {}}}, ScriptedProxy::End::stay_open);
    Socks5Options options = options_for(proxy.port());
    options.connect_timeout = std::chrono::milliseconds(300);
    Socks5Outbound outbound(io_.get_executor(), options, {});
    const auto outcome = connect(outbound, target_of("www.test", std::nullopt, 80));
    EXPECT_EQ(outcome.error, boost::asio::error::timed_out);
    EXPECT_EQ(outcome.reason, "socks5 proxy: connect www.test:80: timed out");
    EXPECT_GE(outcome.elapsed, std::chrono::milliseconds(280));
    EXPECT_LT(outcome.elapsed, std::chrono::milliseconds(800));
}

TEST_F(Socks5OutboundTest, UdpIsRefusedUnlessEnabled) {
    Socks5Outbound outbound(io_.get_executor(), options_for(1), {});
    std::string refusal;
    EXPECT_EQ(outbound.open_udp(target_of("dns.test", std::nullopt, 53), {{}, 53}, refusal),
              nullptr);
    EXPECT_EQ(refusal, "socks5 proxy: udp = false");
}

// A fake UDP relay: the scripted proxy answers UDP ASSOCIATE with 0.0.0.0:relay port, so
// the outbound must send to the proxy's own address.
class Socks5UdpTest : public Socks5OutboundTest {
  protected:
    Socks5UdpTest()
        : relay_(io_, {boost::asio::ip::make_address_v4("127.0.0.1"), 0}),
          proxy_(io_,
                 {{3, {5, 0}},
                  {10, bytes_of({5, 0, 0, 1, 0, 0, 0, 0, relay_port() >> 8, relay_port() & 0xff})}},
                 ScriptedProxy::End::stay_open) {}

    int relay_port() const { return relay_.local_endpoint().port(); }

    std::unique_ptr<UdpOutbound> open(const Target& target, const Endpoint& as_seen) {
        Socks5Options options = options_for(proxy_.port());
        options.udp = true;
        outbound_ = std::make_unique<Socks5Outbound>(io_.get_executor(), options, AddressLookup{});
        std::string refusal;
        auto udp = outbound_->open_udp(target, as_seen, refusal);
        EXPECT_TRUE(udp) << refusal;
        udp->start(
            [this](std::span<const std::uint8_t> payload, const Endpoint& from) {
                received_.push_back({Bytes(payload.begin(), payload.end()), from});
            },
            [this](std::string_view reason) { errors_.emplace_back(reason); });
        return udp;
    }

    // Datagrams the relay got, in order.
    std::vector<Bytes> relay_receive(std::size_t count) {
        std::vector<Bytes> got;
        std::array<std::uint8_t, 2048> buffer{};
        std::function<void()> next = [&] {
            relay_.async_receive_from(boost::asio::buffer(buffer), client_,
                                      [&](boost::system::error_code error, std::size_t size) {
                                          if (error) return;
                                          got.emplace_back(buffer.begin(), buffer.begin() + size);
                                          if (got.size() < count) next();
                                      });
        };
        next();
        run_until([&] { return got.size() >= count; }, std::chrono::seconds(3));
        if (got.size() < count) relay_.cancel();
        io_.poll();
        io_.restart();
        return got;
    }

    void relay_send(const HostPort& from, const Bytes& payload, std::uint8_t frag = 0) {
        Bytes datagram;
        append_socks5_udp_header(from, datagram);
        datagram[2] = frag;
        datagram.insert(datagram.end(), payload.begin(), payload.end());
        relay_.send_to(boost::asio::buffer(datagram), client_);
    }

    struct Received {
        Bytes payload;
        Endpoint from;
    };

    boost::asio::ip::udp::socket relay_;
    boost::asio::ip::udp::endpoint client_;
    ScriptedProxy proxy_;
    std::unique_ptr<Socks5Outbound> outbound_;
    std::vector<Received> received_;
    std::vector<std::string> errors_;
};

TEST_F(Socks5UdpTest, QueuesUntilAssociatedThenMapsRepliesAndDropsStrays) {
    const Endpoint fake{*IpAddress::parse("198.18.0.9"), 53};
    auto udp = open(target_of("dns.test", "198.18.0.9", 53), fake);
    auto& socks5_udp = static_cast<Socks5UdpOutbound&>(*udp);
    for (int i = 0; i < 16; ++i) {
        EXPECT_EQ(udp->send(bytes_of({'q', i}), fake), UdpSendResult::sent) << i;
    }
    EXPECT_EQ(udp->send(bytes_of({'x'}), fake), UdpSendResult::would_block);

    const auto queued = relay_receive(16);
    ASSERT_EQ(queued.size(), 16u);
    EXPECT_TRUE(socks5_udp.associated());
    EXPECT_EQ(socks5_udp.relay(),
              (Endpoint{*IpAddress::parse("127.0.0.1"), static_cast<std::uint16_t>(relay_port())}));
    for (int i = 0; i < 16; ++i) {
        const auto decoded = decode_socks5_udp_datagram(queued[i]);
        ASSERT_EQ(decoded.status, Socks5UdpDecodeStatus::ok);
        EXPECT_EQ(decoded.address, (HostPort{"dns.test", {}, 53}));
        EXPECT_EQ(Bytes(decoded.payload.begin(), decoded.payload.end()), bytes_of({'q', i}));
    }
    EXPECT_EQ(proxy_.received(),
              concat(bytes_of({5, 1, 0}), bytes_of({5, 3, 0, 1, 0, 0, 0, 0, 0, 0})));

    // Full cone: a datagram to another endpoint goes there by address.
    const Endpoint other{*IpAddress::parse("192.0.2.1"), 123};
    EXPECT_EQ(udp->send(bytes_of({'n'}), other), UdpSendResult::sent);
    const auto direct = relay_receive(1);
    ASSERT_EQ(direct.size(), 1u);
    EXPECT_EQ(decode_socks5_udp_datagram(direct[0]).address, HostPort::from_endpoint(other));

    relay_send({{}, *IpAddress::parse("93.184.216.34"), 53}, {'a'});       // resolved target
    relay_send({"DNS.test", {}, 53}, {'b'});                               // the target's name
    relay_send(HostPort::from_endpoint(other), {'c'});                     // someone else
    relay_send({{}, *IpAddress::parse("93.184.216.34"), 53}, {'f'}, 1);    // a fragment
    relay_send({"elsewhere.test", {}, 53}, {'d'});                         // a name never sent to
    relay_.send_to(boost::asio::buffer(bytes_of({0, 0, 0, 9})), client_);  // malformed
    boost::asio::ip::udp::socket stranger(io_, {boost::asio::ip::make_address_v4("127.0.0.1"), 0});
    Bytes from_stranger;
    append_socks5_udp_header({{}, *IpAddress::parse("93.184.216.34"), 53}, from_stranger);
    stranger.send_to(boost::asio::buffer(from_stranger), client_);
    relay_send({{}, *IpAddress::parse("93.184.216.34"), 53}, {'z'});  // marks the end

    run_until([&] { return received_.size() >= 4; }, std::chrono::seconds(3));
    ASSERT_EQ(received_.size(), 4u);
    EXPECT_EQ(received_[0].payload, bytes_of({'a'}));
    EXPECT_EQ(received_[0].from, fake);
    EXPECT_EQ(received_[1].payload, bytes_of({'b'}));
    EXPECT_EQ(received_[1].from, fake);
    EXPECT_EQ(received_[2].payload, bytes_of({'c'}));
    EXPECT_EQ(received_[2].from, other);
    EXPECT_EQ(received_[3].payload, bytes_of({'z'}));
    const auto& counters = socks5_udp.counters();
    EXPECT_EQ(counters.dropped_fragments, 1u);
    EXPECT_EQ(counters.dropped_malformed, 1u);
    EXPECT_EQ(counters.dropped_foreign_source, 2u);  // the unknown name and the stranger
    EXPECT_EQ(counters.sent, 17u);
    EXPECT_TRUE(errors_.empty());

    // The proxy dropping the control connection ends the session.
    proxy_.close_connections();
    run_until([&] { return !errors_.empty(); }, std::chrono::seconds(3));
    ASSERT_EQ(errors_.size(), 1u);
    EXPECT_EQ(errors_[0],
              "socks5 proxy: udp associate dns.test:53: control connection closed by the proxy");
    EXPECT_EQ(udp->send(bytes_of({'x'}), fake), UdpSendResult::failed);
}

TEST_F(Socks5UdpTest, AddressTargetMatchesOnlyItsAddressAndCloseStopsHandlers) {
    const Endpoint real{*IpAddress::parse("192.0.2.50"), 4000};
    auto udp = open(target_of("", "192.0.2.50", 4000), real);
    EXPECT_EQ(udp->send(bytes_of({'h'}), real), UdpSendResult::sent);
    const auto sent = relay_receive(1);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(decode_socks5_udp_datagram(sent[0]).address, HostPort::from_endpoint(real));

    relay_send(HostPort::from_endpoint(real), {'1'});
    relay_send({{}, *IpAddress::parse("192.0.2.51"), 4000}, {'2'});
    run_until([&] { return received_.size() >= 2; }, std::chrono::seconds(3));
    ASSERT_EQ(received_.size(), 2u);
    EXPECT_EQ(received_[0].from, real);
    EXPECT_EQ(received_[1].from, (Endpoint{*IpAddress::parse("192.0.2.51"), 4000}));

    udp->close();
    relay_send(HostPort::from_endpoint(real), {'3'});
    proxy_.close_connections();
    run_until([] { return false; }, std::chrono::milliseconds(200));
    EXPECT_EQ(received_.size(), 2u);
    EXPECT_TRUE(errors_.empty());
    EXPECT_EQ(udp->send(bytes_of({'x'}), real), UdpSendResult::failed);
    udp.reset();
    io_.poll();
}

}  // namespace
}  // namespace shunt::outbound

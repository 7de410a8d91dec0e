// The SOCKS5 client handshake against crafted server replies: what is sent, what a reply
// of each shape yields, and that each failure has its own error and reason.
#include "outbound/socks5/socks5_handshake.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include <boost/asio/connect.hpp>

#include "tests/outbound/socks5/scripted_proxy.hpp"

namespace shunt::outbound {
namespace {

using test::Bytes;
using test::bytes_of;
using test::concat;
using test::ScriptedProxy;

struct Outcome {
    int calls = 0;
    boost::system::error_code error;
    std::optional<boost::asio::ip::tcp::socket> socket;
    HostPort bound;
    std::string reason;
    std::chrono::steady_clock::duration elapsed{};
};

HostPort domain_target(std::string name, std::uint16_t port) {
    return {std::move(name), {}, port};
}

const Bytes kGreeting = bytes_of({5, 1, 0});
const Bytes kGreetingWithPassword = bytes_of({5, 2, 0, 2});
const Bytes kBound = bytes_of({5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90});

class HandshakeTest : public ::testing::Test {
  protected:
    Outcome run(ScriptedProxy& proxy, Socks5Request request,
                std::chrono::milliseconds deadline = std::chrono::seconds(2),
                bool cancel_at_once = false) {
        boost::asio::ip::tcp::socket socket(io_);
        socket.connect({boost::asio::ip::make_address_v4("127.0.0.1"), proxy.port()});
        Outcome outcome;
        const auto started = std::chrono::steady_clock::now();
        auto handshake = Socks5Handshake::create(std::move(socket), std::move(request), deadline);
        handshake->start([&](boost::system::error_code error, boost::asio::ip::tcp::socket s,
                             HostPort bound, std::string reason) {
            ++outcome.calls;
            outcome.elapsed = std::chrono::steady_clock::now() - started;
            outcome.error = error;
            outcome.socket.emplace(std::move(s));
            outcome.bound = std::move(bound);
            outcome.reason = std::move(reason);
        });
        if (cancel_at_once) handshake->cancel();
        EXPECT_EQ(outcome.calls, 0) << "handler ran inline";
        // The fake proxy's accept loop never ends: run until the handler, bounded.
        const auto limit = started + deadline + std::chrono::seconds(1);
        while (outcome.calls == 0 && std::chrono::steady_clock::now() < limit) {
            io_.run_one_for(std::chrono::milliseconds(20));
        }
        io_.poll();
        io_.restart();
        EXPECT_EQ(outcome.calls, 1);
        return outcome;
    }

    static Socks5Request connect_to(HostPort target) {
        Socks5Request request;
        request.target = std::move(target);
        return request;
    }

    boost::asio::io_context io_;
};

TEST(Socks5Encode, Greeting) {
    EXPECT_EQ(encode_socks5_greeting(false), bytes_of({5, 1, 0}));
    EXPECT_EQ(encode_socks5_greeting(true), bytes_of({5, 2, 0, 2}));
}

TEST(Socks5Encode, PasswordAuth) {
    EXPECT_EQ(encode_socks5_password_auth("ab", "xyz"),
              bytes_of({1, 2, 'a', 'b', 3, 'x', 'y', 'z'}));
    EXPECT_TRUE(encode_socks5_password_auth(std::string(256, 'u'), "p").empty());
}

TEST(Socks5Encode, RequestByDomainIpv4AndIpv6) {
    EXPECT_EQ(encode_socks5_request(Socks5Command::connect, domain_target("a.test", 443)),
              bytes_of({5, 1, 0, 3, 6, 'a', '.', 't', 'e', 's', 't', 1, 0xbb}));
    EXPECT_EQ(encode_socks5_request(Socks5Command::udp_associate,
                                    {{}, *IpAddress::parse("192.0.2.1"), 53}),
              bytes_of({5, 3, 0, 1, 192, 0, 2, 1, 0, 53}));
    const Bytes v6 =
        encode_socks5_request(Socks5Command::connect, {{}, *IpAddress::parse("2001:db8::1"), 80});
    EXPECT_EQ(v6, bytes_of({5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
                            0, 0, 0, 0, 0,    0,    0,    0,    1, 0, 80}));
    EXPECT_TRUE(
        encode_socks5_request(Socks5Command::connect, domain_target(std::string(256, 'a'), 1))
            .empty());
}

TEST(Socks5Error, ReplyCodesHaveNames) {
    EXPECT_EQ(socks5_reply_reason(1), "reply 1 (general SOCKS server failure)");
    EXPECT_EQ(socks5_reply_reason(2), "reply 2 (connection not allowed by ruleset)");
    EXPECT_EQ(socks5_reply_reason(3), "reply 3 (network unreachable)");
    EXPECT_EQ(socks5_reply_reason(4), "reply 4 (host unreachable)");
    EXPECT_EQ(socks5_reply_reason(5), "reply 5 (connection refused)");
    EXPECT_EQ(socks5_reply_reason(6), "reply 6 (TTL expired)");
    EXPECT_EQ(socks5_reply_reason(7), "reply 7 (command not supported)");
    EXPECT_EQ(socks5_reply_reason(8), "reply 8 (address type not supported)");
    EXPECT_EQ(socks5_reply_reason(9), "reply 9 (unassigned)");
    EXPECT_EQ(socks5_reply_error(5).message(), "reply 5 (connection refused)");
    EXPECT_NE(socks5_reply_error(5), socks5_reply_error(4));
}

TEST_F(HandshakeTest, ConnectByDomainWithoutAuthLeavesRelayedBytesUnread) {
    const Bytes request =
        encode_socks5_request(Socks5Command::connect, domain_target("www.test", 80));
    // The reply and the first relayed bytes arrive in one segment.
    ScriptedProxy proxy(io_, {{3, {5, 0}}, {request.size(), concat(kBound, bytes_of({'h', 'i'}))}},
                        ScriptedProxy::End::stay_open);
    Outcome outcome = run(proxy, connect_to(domain_target("www.test", 80)));
    ASSERT_FALSE(outcome.error) << outcome.reason;
    EXPECT_EQ(outcome.bound, (HostPort{{}, *IpAddress::parse("127.0.0.1"), 8080}));
    EXPECT_EQ(proxy.received(), concat(kGreeting, request));
    std::array<char, 2> relayed{};
    boost::asio::read(*outcome.socket, boost::asio::buffer(relayed));
    EXPECT_EQ(std::string(relayed.data(), 2), "hi");
}

TEST_F(HandshakeTest, DomainAndIpv6BoundAddressesAreReadExactly) {
    const Bytes request = encode_socks5_request(Socks5Command::connect, domain_target("x", 1));
    const Bytes domain_reply = bytes_of({5, 0, 0, 3, 4, 'r', 'e', 'l', 'y', 0, 53, '!'});
    ScriptedProxy proxy(io_, {{3, {5, 0}}, {request.size(), domain_reply}},
                        ScriptedProxy::End::stay_open);
    Outcome outcome = run(proxy, connect_to(domain_target("x", 1)));
    ASSERT_FALSE(outcome.error) << outcome.reason;
    EXPECT_EQ(outcome.bound.domain, "rely");
    EXPECT_EQ(outcome.bound.port, 53);
    char extra = 0;
    boost::asio::read(*outcome.socket, boost::asio::buffer(&extra, 1));
    EXPECT_EQ(extra, '!');

    Bytes v6_reply = bytes_of({5, 0, 0, 4});
    v6_reply.resize(4 + 15, 0);
    v6_reply.push_back(1);
    v6_reply.insert(v6_reply.end(), {0x12, 0x34});
    ScriptedProxy proxy6(io_, {{3, {5, 0}}, {request.size(), v6_reply}});
    outcome = run(proxy6, connect_to(domain_target("x", 1)));
    ASSERT_FALSE(outcome.error) << outcome.reason;
    EXPECT_EQ(outcome.bound.address, *IpAddress::parse("::1"));
    EXPECT_EQ(outcome.bound.port, 0x1234);
}

TEST_F(HandshakeTest, UsernamePasswordIsOfferedAndSent) {
    const Bytes auth = encode_socks5_password_auth("user", "secret");
    const Bytes request =
        encode_socks5_request(Socks5Command::connect, {{}, *IpAddress::parse("192.0.2.7"), 22});
    ScriptedProxy proxy(io_, {{4, {5, 2}}, {auth.size(), {1, 0}}, {request.size(), kBound}});
    Socks5Request wanted = connect_to({{}, *IpAddress::parse("192.0.2.7"), 22});
    wanted.username = "user";
    wanted.password = "secret";
    const Outcome outcome = run(proxy, wanted);
    ASSERT_FALSE(outcome.error) << outcome.reason;
    EXPECT_EQ(proxy.received(), concat(concat(kGreetingWithPassword, auth), request));
}

struct FailureCase {
    const char* name;
    std::vector<ScriptedProxy::Step> script;
    bool with_password;
    boost::system::error_code error;
    std::string reason_prefix;
};

TEST_F(HandshakeTest, EachFailureHasItsOwnErrorAndReason) {
    const std::size_t request_size =
        encode_socks5_request(Socks5Command::connect, domain_target("www.test", 80)).size();
    const std::size_t auth_size = encode_socks5_password_auth("user", "bad").size();
    const std::vector<FailureCase> cases = {
        {"auth failure",
         {{4, {5, 2}}, {auth_size, {1, 1}}},
         true,
         Socks5Errc::authentication_failed,
         "authentication failed"},
        {"no acceptable method",
         {{3, {5, 0xff}}},
         false,
         Socks5Errc::no_acceptable_method,
         "no acceptable authentication method"},
        {"method not offered",
         {{3, {5, 2}}},
         false,
         Socks5Errc::malformed_reply,
         "malformed reply: method 2"},
        {"bad version in method reply",
         {{3, {4, 0}}},
         false,
         Socks5Errc::malformed_reply,
         "malformed reply: bad version 4"},
        {"bad version in reply",
         {{3, {5, 0}}, {request_size, {4, 0, 0, 1}}},
         false,
         Socks5Errc::malformed_reply,
         "malformed reply: bad version 4"},
        {"reply 5",
         {{3, {5, 0}}, {request_size, {5, 5, 0, 1, 0, 0, 0, 0, 0, 0}}},
         false,
         socks5_reply_error(5),
         "reply 5 (connection refused)"},
        {"reply 2",
         {{3, {5, 0}}, {request_size, {5, 2, 0, 1, 0, 0, 0, 0, 0, 0}}},
         false,
         socks5_reply_error(2),
         "reply 2 (connection not allowed by ruleset)"},
        {"bad atyp",
         {{3, {5, 0}}, {request_size, {5, 0, 0, 7, 0, 0}}},
         false,
         Socks5Errc::malformed_reply,
         "malformed reply: bad address type 7"},
        {"truncated reply",
         {{3, {5, 0}}, {request_size, {5, 0, 0, 1, 127, 0}}},
         false,
         Socks5Errc::malformed_reply,
         "malformed reply: truncated"},
        {"truncated method reply",
         {{3, {5}}},
         false,
         Socks5Errc::malformed_reply,
         "malformed reply: truncated"},
        {"closed after greeting",
         {{3, {}}},
         false,
         Socks5Errc::proxy_closed,
         "proxy closed the connection"},
        {"closed after request",
         {{3, {5, 0}}, {request_size, {}}},
         false,
         Socks5Errc::proxy_closed,
         "proxy closed the connection"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        ScriptedProxy proxy(io_, c.script);
        Socks5Request request = connect_to(domain_target("www.test", 80));
        if (c.with_password) {
            request.username = "user";
            request.password = "bad";
        }
        const Outcome outcome = run(proxy, request);
        EXPECT_EQ(outcome.error, c.error) << outcome.error.message();
        EXPECT_EQ(outcome.reason.rfind(c.reason_prefix, 0), 0u) << outcome.reason;
        ASSERT_TRUE(outcome.socket);
        EXPECT_FALSE(outcome.socket->is_open());
    }
}

// Regression (found by fuzz_socks5_client): a proxy that sent the reply's head and closed
// before the bound address was reported as "proxy closed the connection" (proxy_closed is
// for EOF before a reply begins); it is a truncated reply.
TEST_F(HandshakeTest, EofAfterReplyHeadIsATruncatedReply) {
    const std::size_t request_size =
        encode_socks5_request(Socks5Command::connect, domain_target("www.test", 80)).size();
    for (const Bytes& head : {bytes_of({5, 0, 0, 1}), bytes_of({5, 0, 0, 4}),
                              bytes_of({5, 0, 0, 3}), bytes_of({5, 0, 0, 3, 9})}) {
        SCOPED_TRACE(testing::PrintToString(head));
        ScriptedProxy proxy(io_, {{3, {5, 0}}, {request_size, head}});
        const Outcome outcome = run(proxy, connect_to(domain_target("www.test", 80)));
        EXPECT_EQ(outcome.error, Socks5Errc::malformed_reply) << outcome.error.message();
        EXPECT_EQ(outcome.reason.rfind("malformed reply: truncated reply address", 0), 0u)
            << outcome.reason;
        ASSERT_TRUE(outcome.socket);
        EXPECT_FALSE(outcome.socket->is_open());
    }
}

TEST_F(HandshakeTest, SilentServerTimesOutAtTheDeadline) {
    ScriptedProxy proxy(io_, {{3, {}}}, ScriptedProxy::End::stay_open);
    const Outcome outcome =
        run(proxy, connect_to(domain_target("www.test", 80)), std::chrono::milliseconds(200));
    EXPECT_EQ(outcome.error, boost::asio::error::timed_out);
    EXPECT_EQ(outcome.reason, "timed out");
    EXPECT_GE(outcome.elapsed, std::chrono::milliseconds(190));
    EXPECT_LT(outcome.elapsed, std::chrono::milliseconds(600));
}

TEST_F(HandshakeTest, CancelAbortsWithoutRunningInline) {
    ScriptedProxy proxy(io_, {{3, {}}}, ScriptedProxy::End::stay_open);
    const Outcome outcome =
        run(proxy, connect_to(domain_target("www.test", 80)), std::chrono::milliseconds(300), true);
    EXPECT_EQ(outcome.error, boost::asio::error::operation_aborted);
    EXPECT_LT(outcome.elapsed, std::chrono::milliseconds(200));
}

}  // namespace
}  // namespace shunt::outbound

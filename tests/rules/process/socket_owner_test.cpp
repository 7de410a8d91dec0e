// find_socket_owner against real python3 processes holding real TCP and UDP sockets.
#include "rules/process/socket_owner.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "rules/process/sock_diag_query.hpp"
#include "tests/rules/process/socket_fixtures.hpp"

namespace shunt::rules {
namespace {

using test::spawn_client;
using test::TestSocket;

void expect_owned_by_child(const std::optional<SocketOwner>& owner, pid_t child) {
    ASSERT_TRUE(owner.has_value());
    EXPECT_EQ(owner->pid, child);
    EXPECT_EQ(owner->uid, ::geteuid());
    const auto expected_path = std::filesystem::canonical(test::python_binary()).string();
    EXPECT_EQ(owner->path, expected_path);
    EXPECT_EQ(owner->name, std::filesystem::path(expected_path).filename().string());
    EXPECT_TRUE(owner->name.starts_with("python3")) << owner->name;
}

TEST(SocketOwner, TcpV4ConnectionIsOwnedByTheConnectingProcess) {
    TestSocket listener("127.0.0.1", SOCK_STREAM);
    auto child = spawn_client("127.0.0.1", listener.local().port, false);
    const auto peer = listener.next_peer();
    ASSERT_TRUE(peer);
    expect_owned_by_child(find_socket_owner(Network::tcp, *peer, listener.local()), child->pid());
    // Without the remote the kernel is asked for a port-filtered dump instead.
    expect_owned_by_child(find_socket_owner(Network::tcp, *peer, std::nullopt), child->pid());
    // The listener's side of the same connection belongs to this test process.
    const auto ours = query_socket_identity(Network::tcp, listener.local(), *peer);
    ASSERT_TRUE(ours);
    EXPECT_NE(ours, query_socket_identity(Network::tcp, *peer, listener.local()));
}

TEST(SocketOwner, TcpV6ConnectionIsOwnedByTheConnectingProcess) {
    TestSocket listener("::1", SOCK_STREAM);
    auto child = spawn_client("::1", listener.local().port, false);
    const auto peer = listener.next_peer();
    ASSERT_TRUE(peer);
    ASSERT_TRUE(peer->address.is_v6());
    expect_owned_by_child(find_socket_owner(Network::tcp, *peer, listener.local()), child->pid());
}

TEST(SocketOwner, V4FlowFromADualStackV6SocketIsFound) {
    TestSocket listener("127.0.0.1", SOCK_STREAM);
    auto child = spawn_client("::ffff:127.0.0.1", listener.local().port, false, 1, true);
    const auto peer = listener.next_peer();
    ASSERT_TRUE(peer);
    ASSERT_TRUE(peer->address.is_v4());
    expect_owned_by_child(find_socket_owner(Network::tcp, *peer, listener.local()), child->pid());
    expect_owned_by_child(find_socket_owner(Network::tcp, *peer, std::nullopt), child->pid());
}

TEST(SocketOwner, UdpV4SenderIsFoundBySourcePort) {
    TestSocket receiver("127.0.0.1", SOCK_DGRAM);
    auto child = spawn_client("127.0.0.1", receiver.local().port, true);
    const auto peer = receiver.next_peer();
    ASSERT_TRUE(peer);
    // python's socket is unconnected and bound to 0.0.0.0: matched as a wildcard.
    expect_owned_by_child(find_socket_owner(Network::udp, *peer, receiver.local()), child->pid());
}

TEST(SocketOwner, UdpV6SenderIsFoundBySourcePort) {
    TestSocket receiver("::1", SOCK_DGRAM);
    auto child = spawn_client("::1", receiver.local().port, true);
    const auto peer = receiver.next_peer();
    ASSERT_TRUE(peer);
    expect_owned_by_child(find_socket_owner(Network::udp, *peer, std::nullopt), child->pid());
}

TEST(SocketOwner, EndpointNobodyHoldsHasNoOwner) {
    TestSocket listener("127.0.0.1", SOCK_STREAM);
    int unused_port = 0;
    {
        TestSocket probe("127.0.0.1", SOCK_DGRAM);  // a port just freed: nobody holds it
        unused_port = probe.local().port;
    }
    const Endpoint nobody{*IpAddress::parse("127.0.0.1"), static_cast<std::uint16_t>(unused_port)};
    EXPECT_FALSE(find_socket_owner(Network::tcp, nobody, listener.local()));
    EXPECT_FALSE(find_socket_owner(Network::tcp, nobody, std::nullopt));
    EXPECT_FALSE(find_socket_owner(Network::udp, nobody, std::nullopt));
    const Endpoint nobody6{*IpAddress::parse("::1"), static_cast<std::uint16_t>(unused_port)};
    EXPECT_FALSE(find_socket_owner(Network::udp, nobody6, std::nullopt));
}

TEST(SocketOwner, ReadProcessIdentityNamesThisTestBinary) {
    SocketOwner owner;
    ASSERT_TRUE(read_process_identity(::getpid(), owner));
    EXPECT_EQ(owner.path, std::filesystem::canonical("/proc/self/exe").string());
    EXPECT_EQ(owner.name, std::filesystem::path(owner.path).filename().string());
    EXPECT_FALSE(read_process_identity(0x3fffffff, owner));
}

}  // namespace
}  // namespace shunt::rules

#include "net/socket_options.hpp"

#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "tests/net/dial_test_util.hpp"

namespace shunt::test {
namespace {

using boost::asio::ip::tcp;
using shunt::apply_routing_mark;
using shunt::apply_tcp_nodelay;
using shunt::read_routing_mark;

TEST(SocketOptions, RoutingMarkIsReadBack) {
    if (::geteuid() != 0) GTEST_SKIP() << "SO_MARK needs CAP_NET_ADMIN";
    boost::asio::io_context io;
    tcp::socket socket(io, tcp::v4());
    const auto status = apply_routing_mark(socket, 0xfeed0001u);
    ASSERT_TRUE(status.ok()) << status.describe();
    EXPECT_EQ(read_routing_mark(socket.native_handle()), std::optional<std::uint32_t>(0xfeed0001u));
}

TEST(SocketOptions, MarkZeroTouchesNothing) {
    boost::asio::io_context io;
    tcp::socket socket(io, tcp::v6());
    EXPECT_TRUE(apply_routing_mark(socket, 0).ok());
    EXPECT_EQ(read_routing_mark(socket.native_handle()), std::optional<std::uint32_t>(0));
}

TEST(SocketOptions, ClosedSocketFailsNamingTheStep) {
    boost::asio::io_context io;
    tcp::socket socket(io);
    const auto status = apply_routing_mark(socket, 7);
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.step, "SO_MARK");
    EXPECT_EQ(status.error, boost::asio::error::bad_descriptor);
    EXPECT_EQ(status.describe().rfind("SO_MARK: ", 0), 0u) << status.describe();

    const auto nodelay = apply_tcp_nodelay(socket);
    EXPECT_FALSE(nodelay.ok());
    EXPECT_EQ(nodelay.step, "TCP_NODELAY");
}

TEST(SocketOptions, BadDescriptorMarkFailsWithErrno) {
    const auto status = apply_routing_mark(-1, 7);
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.error.value(), EBADF);
}

TEST(SocketOptions, NoDelayIsSet) {
    boost::asio::io_context io;
    tcp::socket socket(io, tcp::v4());
    ASSERT_EQ(tcp_nodelay_of(socket.native_handle()), 0);
    ASSERT_TRUE(apply_tcp_nodelay(socket).ok());
    EXPECT_EQ(tcp_nodelay_of(socket.native_handle()), 1);
}

TEST(SocketOptions, SuccessDescribesAsOk) {
    EXPECT_EQ(SocketOptionStatus::success().describe(), "ok");
}

}  // namespace
}  // namespace shunt::test

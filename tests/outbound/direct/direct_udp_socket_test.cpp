#include "outbound/direct/direct_udp_socket.hpp"

#include <unistd.h>

#include <array>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

namespace shunt::test {
namespace {

using boost::asio::ip::udp;
using outbound::open_direct_udp_socket;
using outbound::UdpStack;

// A plain IPv4 peer on loopback that answers from its own address.
struct LoopbackPeer {
    explicit LoopbackPeer(boost::asio::io_context& io)
        : socket(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {}
    Endpoint endpoint() const {
        return {*IpAddress::parse("127.0.0.1"), socket.local_endpoint().port()};
    }
    udp::socket socket;
};

// Sends "ping" from `socket` to `peer`, echoes it back, returns who answered.
Endpoint round_trip(udp::socket& socket, LoopbackPeer& peer) {
    const std::string ping = "ping";
    socket.send_to(boost::asio::buffer(ping), outbound::udp_destination(socket, peer.endpoint()));
    std::array<char, 16> buffer{};
    udp::endpoint client;
    const std::size_t n = peer.socket.receive_from(boost::asio::buffer(buffer), client);
    peer.socket.send_to(boost::asio::buffer(buffer.data(), n), client);
    udp::endpoint sender;
    const std::size_t m = socket.receive_from(boost::asio::buffer(buffer), sender);
    EXPECT_EQ(std::string(buffer.data(), m), ping);
    return outbound::udp_source(sender);
}

TEST(DirectUdpSocket, DualStackReachesIpv4PeerAndUnmapsTheReply) {
    boost::asio::io_context io;
    udp::socket socket(io);
    const auto status = open_direct_udp_socket(socket, UdpStack::dual_stack, 0);
    ASSERT_TRUE(status.ok()) << status.describe();
    ASSERT_TRUE(socket.local_endpoint().address().is_v6());
    EXPECT_NE(socket.local_endpoint().port(), 0);

    LoopbackPeer peer(io);
    EXPECT_TRUE(
        outbound::udp_destination(socket, peer.endpoint()).address().to_v6().is_v4_mapped());
    EXPECT_EQ(round_trip(socket, peer), peer.endpoint());
}

TEST(DirectUdpSocket, V4OnlyRoundTrip) {
    boost::asio::io_context io;
    udp::socket socket(io);
    ASSERT_TRUE(open_direct_udp_socket(socket, UdpStack::v4_only, 0).ok());
    EXPECT_TRUE(socket.local_endpoint().address().is_v4());
    LoopbackPeer peer(io);
    EXPECT_EQ(round_trip(socket, peer), peer.endpoint());
}

TEST(DirectUdpSocket, CarriesTheRoutingMark) {
    if (::geteuid() != 0) GTEST_SKIP() << "SO_MARK needs CAP_NET_ADMIN";
    boost::asio::io_context io;
    udp::socket socket(io);
    ASSERT_TRUE(open_direct_udp_socket(socket, UdpStack::dual_stack, 0x77).ok());
    EXPECT_EQ(read_routing_mark(socket.native_handle()), std::optional<std::uint32_t>(0x77));
}

TEST(DirectUdpSocket, UdpSourceKeepsNativeIpv6) {
    const udp::endpoint sender(boost::asio::ip::make_address("2001:db8::5"), 4000);
    const Endpoint source = outbound::udp_source(sender);
    EXPECT_EQ(source.address, *IpAddress::parse("2001:db8::5"));
    EXPECT_EQ(source.port, 4000);
}

}  // namespace
}  // namespace shunt::test

// Test scaffolding for the non-TCP netstack: a namespace with a TUN device whose fake-IP
// range is routed into it, and a loop that reads packets from the TUN and hands UDP to a
// UdpSessionTable and ICMP to an IcmpResponder, as the real TUN reader does. Everything
// runs on one thread: tests call run_until() to drive the loop while they wait.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <functional>
#include <optional>
#include <span>

#include "netstack/packet/ip_packet.hpp"
#include "netstack/packet/packet_writer.hpp"
#include "netstack/route/route_setup.hpp"
#include "netstack/tun/tun_device.hpp"
#include "tests/support/netns_guard.hpp"

namespace shunt::netstack::test {

inline TunOptions tun_test_options(const std::string& name) {
    TunOptions options;
    options.name = name;
    options.mtu = 9000;
    options.ipv4 = InterfaceAddress::parse("198.18.0.1/15");
    options.ipv6 = InterfaceAddress::parse("fd00:5::1/64");
    return options;
}

// The TUN device with 198.18.0.0/15 and fd00:5::/64 routed into it (the namespace must be
// entered first, see shunt::test::NetnsGuard).
class CapturingTun {
  public:
    explicit CapturingTun(const std::string& name)
        : tun_(tun_test_options(name)), routes_(plan_for(tun_)) {
        routes_.apply();
    }

    TunDevice& device() { return tun_; }
    int fd() const { return tun_.fd(); }
    // The writer the session table and the responder use.
    PacketWriter writer() {
        return [fd = tun_.fd()](std::span<const std::uint8_t> packet) {
            (void)!::write(fd, packet.data(), packet.size());
        };
    }

  private:
    static RoutePlan plan_for(const TunDevice& tun) {
        RoutePlan plan;
        plan.tun_name = tun.name();
        plan.tun_ifindex = tun.ifindex();
        plan.captured = {*Prefix::parse("198.18.0.0/15"), *Prefix::parse("fd00:5::/64")};
        return plan;
    }

    TunDevice tun_;
    RouteSetup routes_;
};

// Reads every packet from the TUN fd on `io` and passes the parsed ones to `on_packet`.
class TunReadLoop {
  public:
    using Handler = std::function<void(const IpPacketView&)>;

    TunReadLoop(boost::asio::io_context& io, int tun_fd, Handler on_packet)
        : descriptor_(io, ::dup(tun_fd)), on_packet_(std::move(on_packet)) {
        wait();
    }

    std::uint64_t unparsed() const { return unparsed_; }

  private:
    void wait() {
        descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                               [this](const boost::system::error_code& error) {
                                   if (error) return;
                                   drain();
                                   wait();
                               });
    }
    void drain() {
        for (;;) {
            const ssize_t length =
                ::read(descriptor_.native_handle(), buffer_.data(), buffer_.size());
            if (length <= 0) return;
            const auto parsed = parse_ip_packet(
                std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(length)));
            if (parsed.ok()) {
                on_packet_(parsed.view);
            } else {
                ++unparsed_;
            }
        }
    }

    boost::asio::posix::stream_descriptor descriptor_;
    Handler on_packet_;
    std::array<std::uint8_t, 65536> buffer_{};
    std::uint64_t unparsed_ = 0;
};

// Runs `io` in small slices until `done()` is true or `timeout` passes.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        io.restart();
        io.run_for(std::chrono::milliseconds(5));
    }
    return done();
}

}  // namespace shunt::netstack::test

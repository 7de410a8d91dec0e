// NetstackService: the data path behind `[tun] enable = true`. It removes what a crashed
// earlier run left (rules, routes, a stale device), creates the TUN device and its
// routes, and runs the pump that feeds lwIP (TCP) and the datagram handlers, with the
// TCP router deciding where each connection goes. stop() undoes all of it; so does the
// destructor, and the kernel removes the device itself if the process dies.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/config.hpp"
#include "net/ip_address.hpp"
#include "netstack/packet/outgoing_packet.hpp"

namespace shunt::dns {
class DnsService;
}
namespace shunt::flow {
class FlowClassifier;
class FlowRegistry;
}  // namespace shunt::flow

namespace shunt::netstack {

class TunDevice;
class RouteSetup;
class TunPump;
class LwipStack;
class TcpFlowRouter;
class GsoCoalescer;
class UdpFlowRouter;
class UdpSessionTable;
class IcmpResponder;
struct IpPacketView;
struct UdpDatagramView;

class NetstackService {
  public:
    struct Stats {
        std::uint64_t tcp_packets = 0;
        std::uint64_t half_open_refused = 0;  // SYNs answered with RST at max_half_open
        std::uint64_t udp_packets = 0;
        std::uint64_t dns_hijacked = 0;
        std::uint64_t icmp_packets = 0;
        std::uint64_t other_dropped = 0;    // protocols shunt does not carry
        std::uint64_t malformed = 0;        // includes fragments (no reassembly)
        std::uint64_t device_rebuilds = 0;  // the device failed (deleted) and was made again
    };

    // `fake_ip_ranges` are routed into the device (and answer pings); `dns` answers
    // hijacked queries; every flow goes through `classifier` and, once it relays, into
    // `registry`. All three outlive the service.
    NetstackService(boost::asio::any_io_executor executor, const TunConfig& config,
                    std::vector<Prefix> fake_ip_ranges, dns::DnsService& dns,
                    flow::FlowClassifier& classifier, flow::FlowRegistry& registry);
    ~NetstackService();
    NetstackService(const NetstackService&) = delete;
    NetstackService& operator=(const NetstackService&) = delete;

    // Throws std::system_error naming the step that failed; nothing is left behind then.
    void start();
    // For the fuzzer and tests: the netstack on a descriptor the caller owns (keeps open
    // until stop()) instead of a TUN device — no device, no routes, and no rebuild when it
    // fails. It must behave like the device: non-blocking, one IP packet per read and per
    // write (a socketpair(AF_UNIX, SOCK_DGRAM) end does); with `vnet_header` every packet
    // carries a virtio_net_hdr, as on an offloading device. start() is the production path.
    void start_on_fd(int fd, bool vnet_header = false);
    // Idempotent: resets open flows, removes routes and rules, closes the device.
    void stop();
    // Called with the new interface index after the device failed (someone deleted it)
    // and the netstack was built again on a new one (its flows were reset).
    void on_rebuilt(std::function<void(int ifindex)> handler) { on_rebuilt_ = std::move(handler); }
    // A reload's [tun]: the keys a running netstack applies (tun_section_spec says which:
    // limits, idle timeouts, dns_hijack) take effect; the caller keeps the others as they
    // run.
    void apply(const TunConfig& config);

    // The TUN device's interface index (0 before start()).
    int tun_ifindex() const;
    std::size_t tcp_flow_count() const;
    std::size_t udp_session_count() const;
    const Stats& stats() const { return stats_; }

  private:
    // What start() and start_on_fd() share: the pump, lwIP and the handlers on `fd`.
    void start_netstack(int fd, bool vnet_header);
    void on_packet(std::span<const std::uint8_t> packet);
    void on_device_failed(int error);
    void schedule_rebuild(std::chrono::seconds delay);
    void rebuild();
    void write_tcp(OutgoingPacket packet);
    bool hijack_dns(const UdpDatagramView& datagram);
    bool refuse_syn_at_cap(std::span<const std::uint8_t> packet);

    boost::asio::any_io_executor executor_;
    TunConfig config_;
    std::vector<Prefix> captured_;
    dns::DnsService& dns_;
    flow::FlowClassifier& classifier_;
    flow::FlowRegistry& registry_;
    std::unique_ptr<TunDevice> tun_;
    std::unique_ptr<RouteSetup> routes_;
    std::unique_ptr<TcpFlowRouter> tcp_router_;
    std::unique_ptr<LwipStack> stack_;
    std::unique_ptr<TunPump> pump_;
    // Offloading devices: lwIP's segments of one flow leave as one 64 KB write.
    std::unique_ptr<GsoCoalescer> coalescer_;
    bool flush_posted_ = false;
    std::shared_ptr<char> alive_ = std::make_shared<char>();
    std::unique_ptr<UdpFlowRouter> udp_router_;
    std::unique_ptr<UdpSessionTable> udp_table_;
    std::unique_ptr<IcmpResponder> icmp_;
    Stats stats_;
    static constexpr std::chrono::seconds kMaxRebuildDelay{60};
    boost::asio::steady_timer rebuild_timer_;
    std::chrono::seconds rebuild_delay_{1};
    std::chrono::steady_clock::time_point last_rebuild_{};
    std::uint64_t generation_ = 0;  // of the device: start() counts up
    std::function<void(int ifindex)> on_rebuilt_;
};

}  // namespace shunt::netstack

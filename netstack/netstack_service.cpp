#include "netstack/netstack_service.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "dns/server/dns_service.hpp"
#include "netstack/icmp/icmp_responder.hpp"
#include "netstack/lwip/lwip_stack.hpp"
#include "netstack/packet/ip_packet.hpp"
#include "netstack/packet/tcp_reset.hpp"
#include "netstack/packet/udp_datagram.hpp"
#include "netstack/route/route_setup.hpp"
#include "netstack/tcp/tcp_flow_router.hpp"
#include "netstack/tun/gso_coalescer.hpp"
#include "netstack/tun/tun_device.hpp"
#include "netstack/tun/tun_pump.hpp"
#include "netstack/udp/udp_flow_router.hpp"
#include "netstack/udp/udp_session_table.hpp"

namespace shunt::netstack {

namespace {

// The transport protocol of a packet, without validating more than needed to pick a
// path (each path validates what it reads). 0 when the packet is too short.
std::uint8_t transport_protocol(std::span<const std::uint8_t> packet) {
    if (packet.empty()) return 0;
    const int version = packet[0] >> 4;
    if (version == 4 && packet.size() >= 20) return packet[9];
    if (version == 6 && packet.size() >= 40) return packet[6];
    return 0;
}

// With auto_route, replies to shunt's own (marked) connections arrive on the uplink, but
// the kernel's reverse-path check looks the source up without the mark and finds the
// TUN: strict mode (1) drops them. Loose mode (2) or off (0) is needed.
void warn_on_strict_reverse_path_filter() {
    std::ifstream in("/proc/sys/net/ipv4/conf/all/rp_filter");
    int mode = 0;
    if (in >> mode && mode == 1)
        spdlog::warn(
            "tun: net.ipv4.conf.all.rp_filter is 1 (strict): with auto_route the "
            "kernel drops replies on the uplink; set it to 2 (loose): "
            "sysctl -w net.ipv4.conf.all.rp_filter=2");
}

TcpRouterOptions tcp_options(const TunConfig& config) {
    TcpRouterOptions options;
    options.max_flows = config.max_tcp_flows;
    options.session.idle_timeout = config.tcp_idle_timeout;
    return options;
}

UdpSessionLimits udp_limits(const TunConfig& config) {
    UdpSessionLimits limits;
    limits.idle_timeout = config.udp_idle_timeout;
    limits.max_sessions = config.max_udp_sessions;
    return limits;
}

}  // namespace

NetstackService::NetstackService(boost::asio::any_io_executor executor, const TunConfig& config,
                                 std::vector<Prefix> fake_ip_ranges, dns::DnsService& dns,
                                 flow::FlowClassifier& classifier, flow::FlowRegistry& registry)
    : executor_(std::move(executor)),
      config_(config),
      captured_(std::move(fake_ip_ranges)),
      dns_(dns),
      classifier_(classifier),
      registry_(registry),
      rebuild_timer_(executor_) {}

void NetstackService::apply(const TunConfig& config) {
    config_ = config;  // max_half_open and dns_hijack are read from here per packet
    if (tcp_router_) tcp_router_->set_options(tcp_options(config_));
    if (udp_table_) udp_table_->set_limits(udp_limits(config_));
}

NetstackService::~NetstackService() {
    stop();
}

void NetstackService::start() {
    RoutePlan plan;
    plan.tun_name = config_.name;
    plan.auto_route = config_.auto_route;
    plan.routing_mark = config_.routing_mark;
    plan.table = config_.table;
    plan.rule_priority = config_.rule_priority;
    plan.captured = captured_;
    plan.lan_interfaces = config_.lan_interfaces;

    if (config_.auto_route) warn_on_strict_reverse_path_filter();
    const auto leftovers = RouteSetup::cleanup_leftovers(plan);
    if (leftovers.rules || leftovers.routes || leftovers.device)
        spdlog::warn("tun: removed what an earlier run left behind: {} rules, {} routes{}",
                     leftovers.rules, leftovers.routes,
                     leftovers.device ? ", device " + config_.name : std::string());

    TunOptions options;
    options.name = config_.name;
    options.mtu = config_.mtu;
    options.offload = config_.offload;
    options.ipv4 = config_.address;
    if (config_.address6) options.ipv6 = config_.address6;
    tun_ = std::make_unique<TunDevice>(options);
    plan.tun_ifindex = tun_->ifindex();
    routes_ = std::make_unique<RouteSetup>(plan);
    routes_->apply();

    start_netstack(tun_->fd(), tun_->offload());
    spdlog::info("tun: {} up, mtu {}, {}{}", config_.name, config_.mtu,
                 config_.auto_route ? "all traffic routed through it"
                                    : "the fake-IP ranges routed through it",
                 config_.lan_interfaces.empty() ? "" : ", plus forwarded LAN traffic");
    for (const auto& line : routes_->describe()) spdlog::debug("tun: {}", line);
}

void NetstackService::start_on_fd(int fd, bool vnet_header) {
    start_netstack(fd, vnet_header);
}

void NetstackService::start_netstack(int fd, bool vnet_header) {
    tcp_router_ =
        std::make_unique<TcpFlowRouter>(executor_, classifier_, registry_, tcp_options(config_));
    pump_ = std::make_unique<TunPump>(
        executor_, fd, config_.mtu, [this](std::span<const std::uint8_t> p) { on_packet(p); },
        vnet_header);
    if (vnet_header)
        coalescer_ = std::make_unique<GsoCoalescer>(
            [this](std::span<const iovec> parts) { pump_->write_gather(parts); },
            /*partial_checksums=*/true);
    stack_ = std::make_unique<LwipStack>(
        executor_, config_.mtu, [this](OutgoingPacket p) { write_tcp(std::move(p)); },
        [this](tcp_pcb* pcb) { tcp_router_->on_accept(pcb); },
        /*kernel_tcp_checksums=*/vnet_header);
    auto write = [this](std::span<const std::uint8_t> p) { pump_->write(p); };
    udp_router_ = std::make_unique<UdpFlowRouter>(classifier_);
    udp_table_ = std::make_unique<UdpSessionTable>(
        executor_, [this](const UdpFlow& flow) { return (*udp_router_)(flow); }, write,
        udp_limits(config_), &registry_);
    icmp_ = std::make_unique<IcmpResponder>(captured_, write);
    // The failure of this device only: one reported by an earlier pump (posted before a
    // stop() and start()) must not tear down the new one.
    pump_->on_failure(
        [this, alive = std::weak_ptr<char>(alive_), generation = ++generation_](int error) {
            if (!alive.expired() && generation == generation_) on_device_failed(error);
        });
    pump_->start();
}

void NetstackService::stop() {
    rebuild_timer_.cancel();
    ++generation_;  // a failure the stopped pump posted is no longer news
    if (pump_) pump_->stop();
    if (tcp_router_) tcp_router_->close_all();
    if (udp_table_) udp_table_->close_all();
    udp_table_.reset();
    udp_router_.reset();
    icmp_.reset();
    // lwIP goes before the router: its destructor aborts what is left, and the sessions'
    // callbacks are already detached.
    stack_.reset();
    coalescer_.reset();
    tcp_router_.reset();
    pump_.reset();
    if (routes_) routes_->remove();
    routes_.reset();
    tun_.reset();
}

// The device is gone (deleted by someone) or broken: everything on it is reset and the
// netstack is built again on a new device, as at start, once a second until that works.
// Its routes went with the device; without rebuilding, the fake-IP ranges would lead
// nowhere (or, with auto_route, all traffic would leave unrouted by the rules).
void NetstackService::on_device_failed(int error) {
    if (!tun_) {  // start_on_fd(): the caller's descriptor, nothing to make again
        spdlog::error("tun: read: {}; the netstack stops", std::strerror(error));
        stop();
        return;
    }
    // A device that keeps disappearing (a network manager removing unknown devices) is
    // made again ever more slowly: 1 s, doubling up to a minute, back to 1 s once one
    // lived for a minute.
    const auto now = std::chrono::steady_clock::now();
    rebuild_delay_ = now - last_rebuild_ < std::chrono::minutes(1)
                         ? std::min(rebuild_delay_ * 2, kMaxRebuildDelay)
                         : std::chrono::seconds(1);
    spdlog::error("tun: {} failed (read: {}); resetting its flows and making it again in {} s",
                  config_.name, std::strerror(error), rebuild_delay_.count());
    stop();
    schedule_rebuild(rebuild_delay_);
}

void NetstackService::schedule_rebuild(std::chrono::seconds delay) {
    rebuild_timer_.expires_after(delay);
    rebuild_timer_.async_wait(
        [this, alive = std::weak_ptr<char>(alive_)](const boost::system::error_code& ec) {
            if (!ec && !alive.expired()) rebuild();
        });
}

void NetstackService::rebuild() {
    try {
        start();
    } catch (const std::exception& e) {
        stop();  // whatever start() made before it failed
        spdlog::error("tun: cannot make {} again: {}; retrying in 5 s", config_.name, e.what());
        schedule_rebuild(std::chrono::seconds(5));
        return;
    }
    last_rebuild_ = std::chrono::steady_clock::now();
    ++stats_.device_rebuilds;
    spdlog::warn("tun: {} made again (ifindex {})", config_.name, tun_ifindex());
    if (on_rebuilt_) on_rebuilt_(tun_ifindex());
}

// lwIP's output. With a coalescer, segments gather until the loop finishes what it is
// doing (one post per burst), then leave as few large writes.
void NetstackService::write_tcp(OutgoingPacket packet) {
    if (!coalescer_) {
        pump_->write(packet);
        return;
    }
    coalescer_->add(std::move(packet));
    if (flush_posted_ || !coalescer_->pending()) return;
    flush_posted_ = true;
    boost::asio::post(executor_, [this, alive = std::weak_ptr<char>(alive_)] {
        if (alive.expired()) return;
        flush_posted_ = false;
        if (coalescer_) coalescer_->flush();
    });
}

int NetstackService::tun_ifindex() const {
    return tun_ ? tun_->ifindex() : 0;
}

std::size_t NetstackService::tcp_flow_count() const {
    return tcp_router_ ? tcp_router_->flow_count() : 0;
}

std::size_t NetstackService::udp_session_count() const {
    return udp_table_ ? udp_table_->size() : 0;
}

void NetstackService::on_packet(std::span<const std::uint8_t> packet) {
    // TCP, the bulk of the traffic, goes to lwIP without a full parse (lwIP checks it).
    if (transport_protocol(packet) == IPPROTO_TCP) {
        ++stats_.tcp_packets;
        if (stack_->half_open() >= config_.max_half_open && refuse_syn_at_cap(packet)) return;
        stack_->input(packet);
        return;
    }
    const IpParseResult parsed = parse_ip_packet(packet);
    if (!parsed.ok()) {
        ++stats_.malformed;
        return;
    }
    switch (parsed.view.protocol) {
        case kProtocolUdp:
            ++stats_.udp_packets;
            if (config_.dns_hijack.empty()) {
                udp_table_->handle_packet(parsed.view);
            } else if (auto datagram = parse_udp_datagram(parsed.view);
                       !datagram || !hijack_dns(*datagram)) {
                udp_table_->handle_packet(parsed.view);
            }
            return;
        case kProtocolIcmp:
        case kProtocolIcmpV6:
            ++stats_.icmp_packets;
            icmp_->handle_packet(parsed.view);
            return;
        default:
            ++stats_.other_dropped;
            return;
    }
}

// At the half-open cap a new connection attempt is refused at once with an RST (lwIP
// would drop it silently and the app would wait for SYN retransmissions); a SYN that
// belongs to a handshake already in progress still reaches lwIP. lwIP reassembles IPv4
// fragments, so a SYN may also arrive as a first fragment (lwIP takes it only with the
// whole TCP header in that fragment): it is refused the same way, or the fragments would
// open a handshake past the cap.
bool NetstackService::refuse_syn_at_cap(std::span<const std::uint8_t> packet) {
    const IpParseResult parsed = parse_first_fragment(packet);
    if (!parsed.ok() || !is_tcp_syn(parsed.view)) return false;
    const auto* tcp = parsed.view.payload.data();
    const auto source_port = static_cast<std::uint16_t>((tcp[0] << 8) | tcp[1]);
    const auto destination_port = static_cast<std::uint16_t>((tcp[2] << 8) | tcp[3]);
    if (LwipStack::has_connection(parsed.view.source, source_port, parsed.view.destination,
                                  destination_port))
        return false;
    std::uint8_t reset[60];
    const std::size_t length = build_tcp_reset(parsed.view, reset);
    if (length == 0) return false;
    write_tcp(OutgoingPacket(std::span<const std::uint8_t>(reset, length)));
    if (stats_.half_open_refused++ % 1000 == 0)
        spdlog::warn(
            "tcp: {} handshakes in progress (max_half_open): refusing new ones with "
            "RST ({} so far)",
            stack_->half_open(), stats_.half_open_refused);
    return true;
}

// DNS to a hijacked address:port is answered by dns/ in-process, with no socket: the
// answer goes back into the TUN as if the server the app asked had sent it.
bool NetstackService::hijack_dns(const UdpDatagramView& datagram) {
    const Endpoint& to = datagram.destination;
    const bool hijacked =
        std::any_of(config_.dns_hijack.begin(), config_.dns_hijack.end(), [&](const Endpoint& e) {
            return e.port == to.port && e.address.family() == to.address.family() &&
                   (e.address == to.address || e.address.is_unspecified());
        });
    if (!hijacked) return false;
    ++stats_.dns_hijacked;
    const Endpoint client = datagram.source;
    dns_.answer_datagram(datagram.payload, [this, client, to](std::span<const std::uint8_t> r) {
        if (!pump_) return;  // stopped meanwhile
        std::vector<std::uint8_t> packet(udp_packet_size(to.address.family(), r.size()));
        const std::size_t length = build_udp_packet({to, client, r}, packet);
        if (length > 0) pump_->write(std::span<const std::uint8_t>(packet.data(), length));
    });
    return true;
}

}  // namespace shunt::netstack

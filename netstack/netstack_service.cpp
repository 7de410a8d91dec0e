#include "netstack/netstack_service.hpp"

#include <netinet/in.h>

#include <spdlog/spdlog.h>

#include "netstack/lwip/lwip_stack.hpp"
#include "netstack/route/route_setup.hpp"
#include "netstack/tcp/tcp_flow_router.hpp"
#include "netstack/tun/tun_device.hpp"
#include "netstack/tun/tun_pump.hpp"

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

}  // namespace

NetstackService::NetstackService(boost::asio::any_io_executor executor, const Config& config,
                                 dns::DnsService& dns, std::shared_ptr<rules::RuleEngine> engine)
    : executor_(std::move(executor)), config_(config.tun), dns_(dns), engine_(std::move(engine)) {
    captured_.push_back(config.dns.fake_ip_range);
    if (config.dns.fake_ip_range6) captured_.push_back(*config.dns.fake_ip_range6);
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

    const auto leftovers = RouteSetup::cleanup_leftovers(plan);
    if (leftovers.rules || leftovers.routes || leftovers.device)
        spdlog::warn("tun: removed what an earlier run left behind: {} rules, {} routes{}",
                     leftovers.rules, leftovers.routes,
                     leftovers.device ? ", device " + config_.name : std::string());

    TunOptions options;
    options.name = config_.name;
    options.mtu = config_.mtu;
    options.ipv4 = InterfaceAddress{config_.address.address, config_.address.prefix_length};
    if (config_.address6)
        options.ipv6 = InterfaceAddress{config_.address6->address, config_.address6->prefix_length};
    tun_ = std::make_unique<TunDevice>(options);
    plan.tun_ifindex = tun_->ifindex();
    routes_ = std::make_unique<RouteSetup>(plan);
    routes_->apply();

    TcpRouterOptions router_options;
    router_options.routing_mark = config_.routing_mark;
    router_options.max_flows = config_.max_tcp_flows;
    router_options.connect_timeout = config_.connect_timeout;
    router_options.session.idle_timeout = config_.tcp_idle_timeout;
    tcp_router_ = std::make_unique<TcpFlowRouter>(executor_, dns_, engine_, router_options);
    pump_ = std::make_unique<TunPump>(executor_, tun_->fd(), config_.mtu,
                                      [this](std::span<const std::uint8_t> p) { on_packet(p); });
    stack_ = std::make_unique<LwipStack>(
        executor_, config_.mtu, [this](std::span<const std::uint8_t> p) { pump_->write(p); },
        [this](tcp_pcb* pcb) { tcp_router_->on_accept(pcb); });
    pump_->start();
    spdlog::info("tun: {} up, mtu {}, {}{}", config_.name, config_.mtu,
                 config_.auto_route ? "all traffic routed through it"
                                    : "the fake-IP ranges routed through it",
                 config_.lan_interfaces.empty() ? "" : ", plus forwarded LAN traffic");
    for (const auto& line : routes_->describe()) spdlog::debug("tun: {}", line);
}

void NetstackService::stop() {
    if (pump_) pump_->stop();
    if (tcp_router_) tcp_router_->close_all();
    // lwIP goes before the router: its destructor aborts what is left, and the sessions'
    // callbacks are already detached.
    stack_.reset();
    tcp_router_.reset();
    pump_.reset();
    if (routes_) routes_->remove();
    routes_.reset();
    tun_.reset();
}

std::size_t NetstackService::tcp_flow_count() const {
    return tcp_router_ ? tcp_router_->flow_count() : 0;
}

void NetstackService::on_packet(std::span<const std::uint8_t> packet) {
    switch (transport_protocol(packet)) {
        case IPPROTO_TCP:
            ++stats_.tcp_packets;
            stack_->input(packet);
            return;
        case 0:
            ++stats_.malformed;
            return;
        default:
            ++stats_.other_dropped;
            return;
    }
}

}  // namespace shunt::netstack

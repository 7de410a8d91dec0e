// libFuzzer target for shunt's whole TUN input path: arbitrary IP packets go into a
// NetstackService as if a TUN device delivered them, on a real Boost.Asio loop — the
// pump, the protocol split, the half-open (SYN) guard, lwIP's input (lwIP sees hostile
// packets first), the TCP sessions behind it, the UDP session table, the ICMP responder
// and the DNS hijack. The "device" is a socketpair(AF_UNIX, SOCK_DGRAM) given to
// NetstackService::start_on_fd(): each datagram is one packet, both ways.
//
// Input: one option byte, then records of a 2-byte big-endian length and that many bytes
// (the last one may be cut short). A record is one packet written into the device; a
// zero length advances lwIP's timers by one tick (250 ms of TCP timers; every fourth tick
// also the reassembly timers) instead. Option bits:
//   0    offloading device: packets carry a virtio_net_hdr (the fuzzer adds a zero one)
//        and lwIP's TCP output goes through the GSO coalescer with partial checksums
//   1-2  max_half_open 255, 1, 2 or 8
//   3    small caps: 2 TCP flows, 2 UDP sessions
//   4-5  MTU 9000, 1500, 1280 or 65535
//   6    no DNS hijack (port 53 goes to the UDP session table)
// TCP acknowledgement numbers are relative: when shunt's SYN-ACK for a connection has
// been seen, its ISN is added to the ACK field of every later ACK the input sends on that
// connection, so inputs complete handshakes and acknowledge data whatever lwIP's ISN.
//
// After every packet the loop runs until idle (bounded), then every packet shunt wrote is
// checked (tun_packet_checks.hpp), and so are the caps: handshakes in progress at most
// max_half_open, flows and sessions at most their caps. Flows end in MemoryOutbound (the
// outbound set holds nothing else, not even a real DIRECT), so no input reaches a socket.
//
// One process-wide world (loop, DNS service, rules, outbounds; the fake-IP pool and the
// answer cache are emptied per input) and, per input, a new NetstackService and so a new
// LwipStack: lwIP's pcbs, netif and listener are made and freed per input. lwIP's own
// process-global state cannot all be reset (its ISN counter and tick count live on), so
// the teardown checks what must be back to nothing: no pcb, no listed flow, no pending
// work on the loop, and no fragments left in lwIP's reassembly queues (drained here).
// What lives on does not change what an input does (ACKs are relative to the ISN), so a
// crash input replays alone.
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>

#include "config/config_loader.hpp"
#include "dns/server/dns_service.hpp"
#include "flow/flow_classifier.hpp"
#include "flow/flow_registry.hpp"
#include "netstack/lwip/lwip_stack.hpp"
#include "netstack/netstack_service.hpp"
#include "outbound/outbound_set.hpp"
#include "outbound/reject_outbound.hpp"
#include "rules/engine/rule_build.hpp"
#include "tests/fuzz/memory_outbound.hpp"
#include "tests/fuzz/tun_packet_checks.hpp"
#include "tests/support/table_destination_names.hpp"

// lwIP last: its byte-order macros would rename the libc declarations included above.
extern "C" {
#include <lwip/ip4_frag.h>
#include <lwip/ip6_frag.h>
#include <lwip/priv/tcp_priv.h>
}

namespace {

using namespace shunt;
using fuzz::be16;
using fuzz::be32;
using fuzz::require;

// 198.18.0.5-8 name domains (TableNames); 198.18.0.6 is an ad (REJECT); 198.18.0.7
// resolves into 203.0.113.0/24 (REJECT after one resolution). The rest goes to DIRECT,
// which is MemoryOutbound. No listener, no upstream (the one below is removed after
// loading), no store: DNS answers from the pool.
constexpr const char* kConfig = R"(
rules = [
  "DOMAIN-SUFFIX,ads.test,REJECT",
  "IP-CIDR,203.0.113.0/24,REJECT",
  "MATCH,DIRECT",
]
[dns]
listen = []
upstreams = ["udp://127.0.0.1:9"]
fake_ip_store = ""
fake_ip_range6 = "fd00:5::/64"
)";

struct World {
    boost::asio::io_context io;
    std::shared_ptr<const Config> config;
    std::unique_ptr<dns::DnsService> dns;
    flow::test::TableNames names{io};
    std::shared_ptr<outbound::OutboundSet> outbounds;
    std::unique_ptr<flow::FlowClassifier> classifier;
    flow::FlowRegistry registry;

    World() {
        auto loaded = parse_config(kConfig, "fuzz.toml");
        for (const auto& error : loaded.errors)
            std::fprintf(stderr, "%s\n", error.format().c_str());
        require(loaded.config != nullptr);
        // The loader wants an upstream; the fuzzer's DNS has none, so what the pool does not
        // answer gets SERVFAIL and nothing leaves the process.
        auto edited = std::make_shared<Config>(*loaded.config);
        edited->dns.upstreams.clear();
        config = edited;
        auto built = rules::build_rules(*config);
        require(built.rules != nullptr);
        auto engine = std::make_shared<rules::RuleEngine>(built.rules, config->mode);
        outbounds = std::make_shared<outbound::OutboundSet>(
            std::make_shared<fuzz::MemoryOutbound>(io.get_executor(), "DIRECT"),
            std::make_shared<outbound::RejectOutbound>(io.get_executor()));
        outbounds->build_global();
        classifier = std::make_unique<flow::FlowClassifier>(names, engine, outbounds);
        dns = std::make_unique<dns::DnsService>(io.get_executor(), config);
    }
};

// Never destroyed: the DNS service's answer thread would otherwise be joined during
// static destruction, after libFuzzer's exit handlers.
World& world() {
    static World* instance = new World;
    return *instance;
}

struct Options {
    bool vnet = false;
    std::size_t max_half_open = 255;
    bool small_caps = false;
    int mtu = 9000;
    bool dns_hijack = true;
};

Options decode(std::uint8_t byte) {
    static constexpr std::size_t kHalfOpen[] = {255, 1, 2, 8};
    static constexpr int kMtu[] = {9000, 1500, 1280, 65535};
    Options o;
    o.vnet = byte & 1;
    o.max_half_open = kHalfOpen[(byte >> 1) & 3];
    o.small_caps = byte & 8;
    o.mtu = kMtu[(byte >> 4) & 3];
    o.dns_hijack = !(byte & 0x40);
    return o;
}

TunConfig tun_config(const Options& o) {
    TunConfig tun = world().config->tun;
    tun.mtu = o.mtu;
    tun.offload = o.vnet;
    tun.max_half_open = o.max_half_open;
    if (o.small_caps) {
        tun.max_tcp_flows = 2;
        tun.max_udp_sessions = 2;
    }
    if (o.dns_hijack)
        tun.dns_hijack = {*Endpoint::parse("0.0.0.0:53"), *Endpoint::parse("[::]:53")};
    return tun;
}

// Where a TCP header starts in an IPv4 (unfragmented, or a first fragment) or IPv6 packet
// without extension headers; 0 when it is not such a packet.
std::size_t tcp_offset(std::span<const std::uint8_t> packet) {
    if (packet.size() >= 20 && (packet[0] >> 4) == 4 && packet[9] == 6) {
        const std::size_t header = std::size_t{packet[0] & 0x0fu} * 4;
        if (header >= 20 && (be16(&packet[6]) & 0x1fff) == 0 && header + 20 <= packet.size())
            return header;
    } else if (packet.size() >= 60 && (packet[0] >> 4) == 6 && packet[6] == 6) {
        return 40;
    }
    return 0;
}

// One end of a connection: address bytes and port. IPv4 addresses keep 4 bytes.
using Address = std::vector<std::uint8_t>;
Address source_of(std::span<const std::uint8_t> ip) {
    return (ip[0] >> 4) == 4 ? Address(ip.begin() + 12, ip.begin() + 16)
                             : Address(ip.begin() + 8, ip.begin() + 24);
}
Address destination_of(std::span<const std::uint8_t> ip) {
    return (ip[0] >> 4) == 4 ? Address(ip.begin() + 16, ip.begin() + 20)
                             : Address(ip.begin() + 24, ip.begin() + 40);
}

class Harness {
  public:
    // `far_end`: the fuzzer's end of the device (the application's side).
    Harness(const Options& options, int far_end) : options_(options), far_(far_end) {}

    // Writes one packet into the device, the way the application's kernel would.
    void send_packet(std::span<const std::uint8_t> bytes) {
        std::vector<std::uint8_t> packet(options_.vnet ? fuzz::kVirtioSize : 0, 0);
        const std::size_t ip = packet.size();
        packet.insert(packet.end(), bytes.begin(), bytes.end());
        const auto view = std::span<std::uint8_t>(packet).subspan(ip);
        if (view.size() >= 20 &&
            ((view[0] >> 4) == 4 || ((view[0] >> 4) == 6 && view.size() >= 40)))
            senders_.insert(source_of(view));
        make_ack_relative(view);
        (void)!::send(far_, packet.data(), packet.size(), MSG_DONTWAIT);
    }

    // Everything shunt wrote since the last call, checked; SYN-ACKs teach their ISN.
    void drain() {
        for (;;) {
            const ssize_t n = ::recv(far_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
            if (n < 0) return;
            check_output(
                std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(n)));
        }
    }

  private:
    struct Connection {
        Address app, far;
        std::uint16_t app_port = 0, far_port = 0;
        auto operator<=>(const Connection&) const = default;
    };

    void make_ack_relative(std::span<std::uint8_t> ip) {
        const std::size_t at = tcp_offset(ip);
        if (at == 0 || !(ip[at + 13] & 0x10)) return;
        const Connection key{source_of(ip), destination_of(ip), be16(&ip[at]), be16(&ip[at + 2])};
        const auto found = isn_.find(key);
        if (found == isn_.end()) return;
        const std::uint32_t ack = be32(&ip[at + 8]) + found->second;
        for (int i = 0; i < 4; ++i) ip[at + 8 + i] = static_cast<std::uint8_t>(ack >> (24 - 8 * i));
    }

    void check_output(std::span<const std::uint8_t> bytes) {
        fuzz::VirtioHeader virtio;
        if (options_.vnet) {
            require(bytes.size() >= fuzz::kVirtioSize);
            virtio = fuzz::read_virtio(bytes.data());
            bytes = bytes.subspan(fuzz::kVirtioSize);
        }
        const fuzz::OutputFacts facts = fuzz::check_ip(bytes);
        require(senders_.count(destination_of(bytes)) == 1);  // only back to a sender
        const std::size_t ip_header = bytes.size() - facts.transport.size();
        const bool partial = virtio.flags & fuzz::kNeedsChecksum;
        if (partial) {
            require(facts.protocol == 6);
            require(virtio.csum_start == ip_header && virtio.csum_offset == 16);
        }
        if (virtio.gso_type != 0) {
            require(partial);
            require(virtio.gso_type == (facts.v6 ? fuzz::kGsoTcpV6 : fuzz::kGsoTcpV4));
            require(facts.transport.size() >= 20);
            const std::size_t header =
                ip_header + static_cast<std::size_t>(facts.transport[12] >> 4) * 4;
            require(virtio.header_length == header && virtio.gso_size > 0);
            require(bytes.size() - header > virtio.gso_size);  // two segments at least
        } else if (facts.protocol == 6) {
            require(bytes.size() <= static_cast<std::size_t>(options_.mtu));
        }
        fuzz::check_transport(facts, partial);
        if (trace_)
            std::fprintf(stderr, "out: IPv%d proto %u, %zu bytes, tcp flags %02x, gso %u/%u\n",
                         facts.v6 ? 6 : 4, facts.protocol, bytes.size(),
                         facts.protocol == 6 ? facts.transport[13] : 0, virtio.gso_type,
                         virtio.gso_size);
        if (facts.protocol == 6 && (facts.transport[13] & 0x12) == 0x12)  // SYN-ACK
            isn_[{destination_of(bytes), source_of(bytes), be16(&facts.transport[2]),
                  be16(&facts.transport[0])}] = be32(&facts.transport[4]);
    }

    Options options_;
    int far_;
    // SHUNT_FUZZ_TRACE=1: one line per packet shunt writes (to see what a seed reaches).
    bool trace_ = std::getenv("SHUNT_FUZZ_TRACE") != nullptr;
    std::set<Address> senders_;
    std::map<Connection, std::uint32_t> isn_;
    // Larger than anything shunt writes (a 64 KB GSO packet and its virtio header): a
    // packet cut short by the read would fail its length check.
    std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(fuzz::kVirtioSize + 0x10000 + 64);
};

// Runs what is ready, round after round, until nothing is or `rounds` ran (an echoing flow
// keeps the loop busy for a while; the next call goes on).
void settle(boost::asio::io_context& io, int rounds) {
    io.restart();
    for (int i = 0; i < rounds; ++i)
        if (io.poll() == 0) break;
}

// lwIP's timers, 250 ms of them, called directly: no input waits for the clock.
void tick(unsigned& ticks) {
    tcp_tmr();
    if (++ticks % 4 == 0) {
        ip_reass_tmr();
        ip6_reass_tmr();
    }
}

// Handshakes in progress, as lwIP counts them against the listener's backlog.
std::size_t half_open() {
    std::size_t count = 0;
    for (tcp_pcb* pcb = tcp_active_pcbs; pcb != nullptr; pcb = pcb->next)
        if (pcb->flags & TF_BACKLOGPEND) ++count;
    return count;
}

void check_caps(const Options& o, const netstack::NetstackService& service) {
    require(half_open() <= o.max_half_open);
    require(service.tcp_flow_count() <= (o.small_caps ? 2u : 16384u));
    require(service.udp_session_count() <= (o.small_caps ? 2u : 4096u));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (std::getenv("SHUNT_FUZZ_LOG") == nullptr) spdlog::set_level(spdlog::level::off);
    world();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    World& w = world();
    const Options options = decode(data[0]);
    srandom(1);  // LWIP_RAND
    w.dns->drop_fake_ips_except([](std::string_view) { return false; });
    w.dns->clear_answer_cache();

    int fds[2];
    require(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    Harness harness(options, fds[1]);
    std::vector<Prefix> captured{*Prefix::parse("198.18.0.0/15"), *Prefix::parse("fd00:5::/64")};
    auto service = std::make_unique<netstack::NetstackService>(
        w.io.get_executor(), tun_config(options), captured, *w.dns, *w.classifier, w.registry);
    service->start_on_fd(fds[0], options.vnet);

    unsigned ticks = 0;
    std::size_t at = 1;
    while (at + 2 <= size) {
        const std::size_t length = std::min<std::size_t>(be16(data + at), size - at - 2);
        const bool is_tick = be16(data + at) == 0;
        at += 2;
        if (is_tick) {
            tick(ticks);
        } else {
            harness.send_packet(std::span(data + at, length));
            at += length;
        }
        settle(w.io, 16);
        harness.drain();
        check_caps(options, *service);
    }
    settle(w.io, 256);
    harness.drain();
    check_caps(options, *service);

    // Teardown: every flow reset (their RSTs are checked too), lwIP freed.
    service->stop();
    settle(w.io, 256);
    harness.drain();
    service.reset();
    // Fragments lwIP still holds for reassembly: aged out (no netif: no ICMP goes out).
    for (int i = 0; i <= IP_REASS_MAXAGE; ++i) ip_reass_tmr();
    for (int i = 0; i <= IPV6_REASS_MAXAGE; ++i) ip6_reass_tmr();
    settle(w.io, 256);
    require(w.io.stopped());  // nothing left pending on the loop: no timer, no handler
    require(netstack::LwipStack::pcb_count() == 0);
    require(w.registry.size() == 0);
    ::close(fds[0]);
    ::close(fds[1]);
    return 0;
}

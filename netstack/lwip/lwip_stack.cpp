#include "netstack/lwip/lwip_stack.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

extern "C" {
#include <lwip/init.h>
#include <lwip/ip.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
}

namespace shunt::netstack {

// input()'s tailroom survives pbuf_realloc only because lwIP's heap is the C library's
// (mem_trim then keeps the whole allocation); lwIP's own heap would give it back.
static_assert(MEM_LIBC_MALLOC, "LwipStack::input relies on mem_trim keeping allocations");

namespace {

LwipStack* g_stack = nullptr;  // lwIP is global state: one stack per process
bool g_lwip_initialised = false;

// Packets lwIP would mishandle, whatever else they hold:
//  - A pbuf's length is 16 bits: a longer read (a GSO packet of 64 KB or more from an
//    offloading device, cut at the pump's buffer) would wrap, and lwIP would take the
//    remainder for a packet — a zero-length pbuf for exactly 65,536 bytes.
//  - lwIP reads the fixed IPv4 header (IPv6's first 20 bytes) before it checks the length:
//    a shorter packet would be read past its end.
//  - A TCP segment to the unspecified IPv6 address (::) gets an RST from ::, and choosing
//    a source address for it dereferences a null pointer in ip6_output_if (UBSan, found
//    by fuzz_tun_packets). No packet is ever for :: (RFC 4291 2.5.2).
bool lwip_can_take(std::span<const std::uint8_t> packet) {
    if (packet.size() < 20 || packet.size() > 0xffff) return false;
    if ((packet[0] >> 4) == 6 && packet.size() >= 40) {
        const auto destination = packet.subspan(24, 16);
        return std::any_of(destination.begin(), destination.end(),
                           [](std::uint8_t byte) { return byte != 0; });
    }
    return true;
}

// Any port works with the patched listener; this one is never seen on the wire.
constexpr u16_t kListenerPort = 1;
constexpr auto kTimerInterval = std::chrono::milliseconds(TCP_TMR_INTERVAL);

}  // namespace

struct LwipStack::Glue {
    static err_t output_v4(netif* nif, pbuf* p, const ip4_addr_t*) {
        static_cast<LwipStack*>(nif->state)->write_out(p);
        return ERR_OK;
    }
    static err_t output_v6(netif* nif, pbuf* p, const ip6_addr_t*) {
        static_cast<LwipStack*>(nif->state)->write_out(p);
        return ERR_OK;
    }
    static err_t init(netif* nif) {
        nif->name[0] = 's';
        nif->name[1] = 'h';
        nif->output = output_v4;
        nif->output_ip6 = output_v6;
        return ERR_OK;
    }
    static err_t accept(void* arg, tcp_pcb* pcb, err_t err) {
        auto* stack = static_cast<LwipStack*>(arg);
        if (err != ERR_OK || pcb == nullptr) return ERR_VAL;
        ++stack->stats_.accepted;
        stack->arm_timers();
        // The handler owns the pcb now; it may abort it (then it must have returned
        // ERR_ABRT to us, which it does by calling tcp_abort through reject()).
        stack->accept_handler_(pcb);
        return ERR_OK;
    }
};

LwipStack::LwipStack(boost::asio::any_io_executor executor, int mtu, PacketWriter writer,
                     AcceptHandler on_accept, bool kernel_tcp_checksums)
    : executor_(std::move(executor)),
      writer_(std::move(writer)),
      accept_handler_(std::move(on_accept)),
      timer_(executor_),
      out_buffer_(static_cast<std::size_t>(mtu) + 64) {
    if (g_stack != nullptr) throw std::logic_error("only one LwipStack may exist at a time");
    if (!g_lwip_initialised) {
        lwip_init();
        g_lwip_initialised = true;
    }
    netif_ = new netif{};
    ip4_addr_t address, netmask, gateway;
    // lwIP's own view of the interface: any address will do, the patch accepts all
    // destinations. No broadcast flag, so no destination is mistaken for a broadcast.
    IP4_ADDR(&address, 198, 18, 0, 1);
    IP4_ADDR(&netmask, 255, 255, 255, 255);
    IP4_ADDR(&gateway, 0, 0, 0, 0);
    if (netif_add(netif_, &address, &netmask, &gateway, this, Glue::init, ip_input) == nullptr) {
        delete netif_;
        throw std::runtime_error("lwIP: netif_add failed");
    }
    netif_->mtu = static_cast<u16_t>(mtu);
    // The TCP checksum is the one pass over every payload byte lwIP would make besides the
    // copy in tcp_write: an offloading TUN lets the kernel do it, and only when the packet
    // leaves the machine (a socket on this host takes CHECKSUM_PARTIAL as verified).
    if (kernel_tcp_checksums)
        NETIF_SET_CHECKSUM_CTRL(netif_, NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_GEN_TCP);
    netif_->mtu6 = static_cast<u16_t>(mtu);
    netif_create_ip6_linklocal_address(netif_, 0);
    netif_set_default(netif_);
    netif_set_link_up(netif_);
    netif_set_up(netif_);

    tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
    if (pcb == nullptr || tcp_bind(pcb, IP_ANY_TYPE, kListenerPort) != ERR_OK) {
        if (pcb) tcp_close(pcb);
        netif_remove(netif_);
        delete netif_;
        throw std::runtime_error("lwIP: cannot create the TCP listener");
    }
    listener_ = tcp_listen_with_backlog(pcb, TCP_DEFAULT_LISTEN_BACKLOG);
    tcp_arg(listener_, this);
    tcp_accept(listener_, Glue::accept);
    g_stack = this;
}

LwipStack::~LwipStack() {
    timer_.cancel();
    // Connections still open are aborted (their owners were destroyed first and cleared
    // their callbacks); what remains are pcbs lwIP keeps for closing or TIME_WAIT.
    while (tcp_active_pcbs != nullptr) tcp_abort(tcp_active_pcbs);
    while (tcp_tw_pcbs != nullptr) tcp_abort(tcp_tw_pcbs);
    if (listener_ != nullptr) tcp_close(listener_);
    netif_set_down(netif_);
    netif_remove(netif_);
    delete netif_;
    g_stack = nullptr;
}

void LwipStack::input(std::span<const std::uint8_t> packet) {
    if (!lwip_can_take(packet)) {
        ++stats_.input_refused;
        return;
    }
    // One zero byte of tailroom behind the packet, as the kernel's buffers have: lwIP
    // 2.1.3's TCP option parser (tcp_parseopt) reads an option's length byte before it
    // checks that byte is inside the header, so a header ending in an option kind makes it
    // read one byte past the segment — past the pbuf for a segment without payload (a
    // SYN). lwIP then reads our zero, takes it for a bad length and stops. The pbuf's
    // length stays the packet's (pbuf_realloc keeps the allocation: see the assert).
    const auto length = static_cast<u16_t>(packet.size());
    const auto allocated = static_cast<u16_t>(std::min<std::size_t>(packet.size() + 1, 0xffff));
    pbuf* p = pbuf_alloc(PBUF_RAW, allocated, PBUF_RAM);
    if (p == nullptr) {
        ++stats_.input_dropped;
        return;
    }
    std::memcpy(p->payload, packet.data(), length);
    std::memset(static_cast<std::uint8_t*>(p->payload) + length, 0, allocated - length);
    pbuf_realloc(p, length);
    ++stats_.packets_in;
    // ip_input frees the pbuf in every case.
    netif_->input(p, netif_);
    arm_timers();
}

void LwipStack::write_out(pbuf* p) {
    ++stats_.packets_out;
    std::size_t parts = 0;
    for (pbuf* q = p; q != nullptr; q = q->next) ++parts;
    if (parts > OutgoingPacket::kMaxParts) {  // rare: a chain of many small writes
        if (p->tot_len > out_buffer_.size()) out_buffer_.resize(p->tot_len);
        const u16_t length = pbuf_copy_partial(p, out_buffer_.data(), p->tot_len, 0);
        writer_(OutgoingPacket(std::span<const std::uint8_t>(out_buffer_.data(), length)));
        return;
    }
    pbuf_ref(p);
    OutgoingPacket packet(p, [](void* owner) { pbuf_free(static_cast<pbuf*>(owner)); });
    for (pbuf* q = p; q != nullptr; q = q->next)
        if (q->len > 0) packet.add_part({static_cast<const std::uint8_t*>(q->payload), q->len});
    writer_(std::move(packet));
}

std::size_t LwipStack::pcb_count() {
    std::size_t count = 0;
    for (tcp_pcb* pcb = tcp_active_pcbs; pcb != nullptr; pcb = pcb->next) ++count;
    for (tcp_pcb* pcb = tcp_tw_pcbs; pcb != nullptr; pcb = pcb->next) ++count;
    return count;
}

std::size_t LwipStack::half_open() const {
    return reinterpret_cast<const tcp_pcb_listen*>(listener_)->accepts_pending;
}

bool LwipStack::has_connection(const IpAddress& source, std::uint16_t source_port,
                               const IpAddress& destination, std::uint16_t destination_port) {
    for (tcp_pcb* pcb = tcp_active_pcbs; pcb != nullptr; pcb = pcb->next) {
        if (pcb->remote_port != source_port || pcb->local_port != destination_port) continue;
        if (IP_IS_V4_VAL(pcb->remote_ip) != source.is_v4()) continue;
        if (source.is_v4()) {
            if (lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip))) == source.v4() &&
                lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip))) == destination.v4())
                return true;
        } else if (std::memcmp(ip_2_ip6(&pcb->remote_ip)->addr, source.bytes().data(), 16) == 0 &&
                   std::memcmp(ip_2_ip6(&pcb->local_ip)->addr, destination.bytes().data(), 16) ==
                       0) {
            return true;
        }
    }
    return false;
}

void LwipStack::arm_timers() {
    if (timer_armed_) return;
    if (tcp_active_pcbs == nullptr && tcp_tw_pcbs == nullptr) return;
    timer_armed_ = true;
    timer_.expires_after(kTimerInterval);
    // The stack may be gone when the wait completes (the netstack is rebuilt on the loop
    // when its device fails; a wait already completed is not cancelled by the destructor).
    timer_.async_wait(
        [this, alive = std::weak_ptr<char>(alive_)](const boost::system::error_code& ec) {
            if (alive.expired()) return;
            timer_armed_ = false;
            if (!ec) on_timer();
        });
}

void LwipStack::on_timer() {
    sys_check_timeouts();
    arm_timers();
}

}  // namespace shunt::netstack

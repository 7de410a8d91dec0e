// shunt_tcp_inpacket (LWIP_HOOK_TCP_INPACKET_PCB): drops, before lwIP processes it, a
// segment whose sequence number lwIP 2.1.3 cannot handle — it aborts the process instead.
//
// lwIP compares sequence numbers modulo 2^32 (TCP_SEQ_LT: the sign of the 32-bit
// difference). A segment half the sequence space away from rcv_nxt is then both before
// and after it, and tcp_receive takes it for one overlapping rcv_nxt: it trims an "offset"
// of about 2^31 bytes and fails LWIP_ASSERT("insane offset!") — abort(), every flow gone.
// Any application can send that segment into the TUN (found by fuzz_tun_packets: a FIN
// with seq = rcv_nxt + 2^31 on an established connection).
//
// No valid segment is that far away: a receive window is below 2^30 bytes (RFC 7323), so
// a sequence number 2^30 or more ahead of rcv_nxt is outside it, and one as far behind is
// a duplicate of data gigabytes old. RFC 9293 would have such an unacceptable segment
// acknowledged and dropped; dropping it without the ACK is what the hook can do (it must
// not change lwIP's state), and costs nothing: the sender's next valid segment gets one.
// lwIP is not patched: the hook is its own extension point.
#include <cstdint>

extern "C" {
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "shunt_lwip_hooks.h"
}

namespace {

constexpr std::uint32_t kFarthestValid = 1u << 30;

}  // namespace

extern "C" err_t shunt_tcp_inpacket(struct tcp_pcb* pcb, const struct tcp_hdr* hdr) {
    // A listening pcb is a smaller struct without rcv_nxt; closed and SYN_SENT ones have
    // no rcv_nxt yet; in TIME_WAIT lwIP checks the window itself, without tcp_receive.
    if (pcb->state == LISTEN || pcb->state == CLOSED || pcb->state == SYN_SENT ||
        pcb->state == TIME_WAIT)
        return ERR_OK;
    // tcp_input has turned the header's fields into host byte order by now.
    const std::uint32_t ahead = hdr->seqno - pcb->rcv_nxt;
    if (ahead >= kFarthestValid && ahead <= 0u - kFarthestValid) return ERR_VAL;
    return ERR_OK;
}

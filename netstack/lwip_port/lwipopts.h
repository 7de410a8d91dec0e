/* lwIP options for shunt's netstack.
 *
 * lwIP runs with NO_SYS=1 on the single event loop that owns the TUN fd: no threads,
 * no sockets or netconn API, only the raw callback API. Memory comes from the C heap
 * so that idle flows cost only what they hold, and pools never cap throughput.
 * Sizes favour throughput on a 9000-byte MTU TUN device.
 */
#ifndef SHUNT_LWIPOPTS_H
#define SHUNT_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_TIMERS 1

/* Heap-backed memory: no fixed pools to run out of, no large static arrays. */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define MEMP_NUM_TCP_PCB 65535
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_UDP_PCB 8
#define PBUF_POOL_SIZE 256

/* Protocols. */
#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define LWIP_TCP 1
#define LWIP_UDP 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_ARP 0
#define LWIP_ETHERNET 0
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_IPV6_MLD 0
#define LWIP_IPV6_AUTOCONFIG 0
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
/* Required on 64-bit hosts: the reassembly helper does not fit in the fragment header
 * (lwIP asserts this from its reassembly timer, one second after the first flow). */
#define IPV6_FRAG_COPYHEADER 1
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_ND6_QUEUEING 0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 0

/* The kernel built every packet we read from the TUN device: checking its checksums
 * again only burns CPU. Outgoing checksums are still generated. */
#define CHECKSUM_CHECK_IP 0
#define CHECKSUM_CHECK_TCP 0
#define CHECKSUM_CHECK_UDP 0
#define CHECKSUM_CHECK_ICMP 0
#define CHECKSUM_CHECK_ICMP6 0
/* Per-netif control: with an offloading TUN, lwIP generates no TCP checksum and the
 * kernel finishes them (CHECKSUM_PARTIAL); without offload lwIP computes each one when the
 * segment is sent. Not on copy: that would sum every byte in tcp_write even when the
 * kernel is to do it. */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_CHECKSUM_ON_COPY 0

/* TCP tuned for large MTUs and high bandwidth-delay paths. TCP_MSS is a ceiling: every
 * connection uses min(TCP_MSS, TUN MTU - 40), so `[tun] mtu` decides (8960 with the
 * default 9000; up to 64 KB segments, and 7x fewer syscalls, with mtu = 65535). */
#define TCP_MSS 65000
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 4
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (256 * 1024)
#define TCP_SND_QUEUELEN 512
/* tcp_sndbuf is reported as u16 in the write-space check: stay 4 MSS below 65535. */
#define TCP_SNDLOWAT (24 * 1024)
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 4)
/* A window update (an ACK of its own) once half the window reopened, not every 64 KB: on
 * uploads each ACK we write costs a TUN write plus the app's kernel processing it in our
 * system call, and the app's sender needs no more than two per window. */
#define TCP_WND_UPDATE_THRESHOLD (TCP_WND / 2)
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_BYTES (512 * 1024)
#define TCP_OOSEQ_MAX_PBUFS 128
#define LWIP_TCP_SACK_OUT 1
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_TIMESTAMPS 0
/* Room tcp_write allocates ahead for later small writes: not a whole 64 KB segment. */
#define TCP_OVERSIZE 8960
/* lwIP's sanity checks assume a 16-bit send buffer; with LWIP_WND_SCALE it is 32-bit
 * (tcp_sndbuf() clamps to 0xffff, sent callbacks are split), so the "TCP_SNDLOWAT 4*MSS
 * below 0xffff" check does not apply. The checks that still matter are asserted below. */
#define LWIP_DISABLE_TCP_SANITY_CHECKS 1
#if TCP_SND_BUF < (2 * TCP_MSS) || TCP_SND_QUEUELEN < (2 * (TCP_SND_BUF / TCP_MSS)) || \
    TCP_SNDLOWAT >= TCP_SND_BUF || TCP_WND < TCP_MSS || TCP_MSS + 60 > 0xffff
#error "shunt lwipopts: inconsistent TCP buffer sizes"
#endif

#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 1
#define LWIP_HAVE_LOOPIF 0

/* shunt's patch (accept-any-destination.patch, docs/netstack.md): one TCP listener
 * takes connections to every address and port the TUN device delivers. */
#define SHUNT_ACCEPT_ANY_DESTINATION 1

/* Hooks (shunt_lwip_hooks.h): segments whose sequence number is half the sequence space
 * away from what a connection expects are dropped before lwIP, which would abort on them
 * (tcp_input_hook.cpp). */
#define LWIP_HOOK_FILENAME "shunt_lwip_hooks.h"
#define LWIP_HOOK_TCP_INPACKET_PCB(pcb, hdr, optlen, opt1len, opt2, p) \
    shunt_tcp_inpacket((pcb), (hdr))

#define LWIP_STATS 0
#define LWIP_DEBUG 0

#endif /* SHUNT_LWIPOPTS_H */

// shunt's eBPF bypass (docs/ebpf.md). It decides nothing: userspace compiled the rules
// into the set of destinations that are DIRECT for every packet, and this program only
// marks traffic to them with the routing mark, whose policy rule hands it to the main
// table, so the kernel forwards it as if shunt were not there. Everything else, and
// anything it cannot read for sure, is left alone and reaches the TUN as before.
//
//  - shunt_tc_bypass: tc ingress on the LAN interfaces of a router. Sets skb->mark; never
//    drops, never redirects, returns TC_ACT_UNSPEC so later filters (SQM) still run.
//  - shunt_connect4/6: cgroup connect hooks of a desktop. Set SO_MARK on the socket before
//    the kernel picks its route and source address, so a flow takes one path from its SYN.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/socket.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bypass_abi.h"

#define SOL_SOCKET 1
#define SO_MARK 36
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
#define MAX_VLAN_TAGS 2
#define MAX_IPV6_EXTENSIONS 6

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct shunt_bypass_config);
} config SEC(".maps");

struct bypass_v4_set {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 1 << 20);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(key_size, sizeof(struct shunt_lpm_v4));
    __uint(value_size, sizeof(__u8));
};

struct bypass_v6_set {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 1 << 20);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(key_size, sizeof(struct shunt_lpm_v6));
    __uint(value_size, sizeof(__u8));
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct bypass_v4_set);
} bypass_v4 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, struct bypass_v6_set);
} bypass_v6 SEC(".maps");

/* Allocated as used (fake-ip mode leaves it empty); never evicts: a full map makes
 * shunt empty the bypass set instead (an address with a name must not bypass). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536); /* set before load: twice dns.redir_host_memory */
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct shunt_excluded_key);
    __type(value, __u8);
} excluded SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536); /* [ebpf] flow_table_size, set before load */
    __type(key, struct shunt_flow_key);
    __type(value, struct shunt_flow_value);
} flows SEC(".maps");

/* Sockets the connect hooks marked, by socket cookie: a socket connected again (after an
 * AF_UNSPEC disconnect) to a destination that does not bypass gets its mark back to 0. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384); /* set before load: 1 without the desktop hooks */
    __type(key, __u64);
    __type(value, __u8);
} marked_sockets SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct shunt_bypass_counters);
} counters SEC(".maps");

static __always_inline struct shunt_bypass_config *current_config(void) {
    __u32 zero = 0;
    struct shunt_bypass_config *cfg = bpf_map_lookup_elem(&config, &zero);
    if (!cfg || !cfg->enabled) return 0;
    return cfg;
}

static __always_inline struct shunt_bypass_counters *counter(void) {
    __u32 zero = 0;
    return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline int hijacked_port(const struct shunt_bypass_config *cfg, __u16 port) {
#pragma unroll
    for (__u32 i = 0; i < SHUNT_BYPASS_HIJACK_PORTS; i++)
        if (i < cfg->hijack_count && cfg->hijack_ports[i] == port) return 1;
    return 0;
}

static __always_inline int excluded_address(const struct shunt_bypass_config *cfg, __u32 family,
                                            const __u32 *addr) {
    if (!cfg->check_excluded) return 0;
    struct shunt_excluded_key key = {.family = family};
    key.addr[0] = addr[0];
    if (family == 6) {
        key.addr[1] = addr[1];
        key.addr[2] = addr[2];
        key.addr[3] = addr[3];
    }
    return bpf_map_lookup_elem(&excluded, &key) != 0;
}

/* In the set, and neither a fake address nor a DNS-hijacked port nor (redir-host) an
 * address with a remembered name. */
static __always_inline int bypasses_v4(const struct shunt_bypass_config *cfg, __u32 daddr,
                                       __u16 dport) {
    if ((daddr & cfg->fake4_mask) == cfg->fake4_addr) return 0;
    if (hijacked_port(cfg, dport)) return 0;
    if (excluded_address(cfg, 4, &daddr)) return 0;
    __u32 zero = 0;
    void *set = bpf_map_lookup_elem(&bypass_v4, &zero);
    if (!set) return 0;
    struct shunt_lpm_v4 key = {.prefixlen = 32, .addr = daddr};
    return bpf_map_lookup_elem(set, &key) != 0;
}

static __always_inline int bypasses_v6(const struct shunt_bypass_config *cfg, const __u32 *daddr,
                                       __u16 dport) {
    if ((daddr[0] & cfg->fake6_mask[0]) == cfg->fake6_addr[0] &&
        (daddr[1] & cfg->fake6_mask[1]) == cfg->fake6_addr[1] &&
        (daddr[2] & cfg->fake6_mask[2]) == cfg->fake6_addr[2] &&
        (daddr[3] & cfg->fake6_mask[3]) == cfg->fake6_addr[3])
        return 0;
    if (hijacked_port(cfg, dport)) return 0;
    if (excluded_address(cfg, 6, daddr)) return 0;
    __u32 zero = 0;
    void *set = bpf_map_lookup_elem(&bypass_v6, &zero);
    if (!set) return 0;
    struct shunt_lpm_v6 key = {.prefixlen = 128};
    key.addr[0] = daddr[0];
    key.addr[1] = daddr[1];
    key.addr[2] = daddr[2];
    key.addr[3] = daddr[3];
    return bpf_map_lookup_elem(set, &key) != 0;
}

/* ---- tc: the router's LAN ingress ---- */

struct parsed_packet {
    struct shunt_flow_key key;
    int tcp_syn; /* SYN without ACK: a new connection, decided afresh */
};

static __always_inline int load(struct __sk_buff *skb, __u32 offset, void *to, __u32 len) {
    /* Relative to the network header: the same on Ethernet, VLAN and L3 devices. */
    return bpf_skb_load_bytes_relative(skb, offset, to, len, BPF_HDR_START_NET);
}

static __always_inline int parse_ports(struct __sk_buff *skb, __u32 offset,
                                       struct parsed_packet *p) {
    if (p->key.protocol == IPPROTO_TCP) {
        struct tcphdr tcp;
        if (load(skb, offset, &tcp, sizeof(tcp)) < 0) return -1;
        p->key.sport = tcp.source;
        p->key.dport = tcp.dest;
        p->tcp_syn = tcp.syn && !tcp.ack;
        return 0;
    }
    struct udphdr udp;
    if (load(skb, offset, &udp, sizeof(udp)) < 0) return -1;
    p->key.sport = udp.source;
    p->key.dport = udp.dest;
    return 0;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 offset,
                                      struct parsed_packet *p) {
    struct iphdr ip;
    if (load(skb, offset, &ip, sizeof(ip)) < 0) return -1;
    if (ip.version != 4 || ip.ihl < 5) return -1;
    /* Any fragment: only the first carries the ports, so none of them bypasses and the
     * whole datagram takes one path. */
    if (ip.frag_off & bpf_htons(IP_MF | IP_OFFSET)) return -1;
    if (ip.protocol != IPPROTO_TCP && ip.protocol != IPPROTO_UDP) return -1;
    p->key.family = 4;
    p->key.protocol = ip.protocol;
    p->key.saddr[0] = ip.saddr;
    p->key.daddr[0] = ip.daddr;
    return parse_ports(skb, offset + ip.ihl * 4, p);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 offset,
                                      struct parsed_packet *p) {
    struct ipv6hdr ip;
    if (load(skb, offset, &ip, sizeof(ip)) < 0) return -1;
    if (ip.version != 6) return -1;
    __builtin_memcpy(p->key.saddr, &ip.saddr, 16);
    __builtin_memcpy(p->key.daddr, &ip.daddr, 16);
    __u8 next = ip.nexthdr;
    offset += sizeof(ip);
#pragma unroll
    for (int i = 0; i < MAX_IPV6_EXTENSIONS; i++) {
        if (next == IPPROTO_TCP || next == IPPROTO_UDP) break;
        __u8 ext[2];
        if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS) {
            if (load(skb, offset, ext, sizeof(ext)) < 0) return -1;
            next = ext[0];
            offset += (ext[1] + 1) * 8;
        } else if (next == IPPROTO_AH) {
            if (load(skb, offset, ext, sizeof(ext)) < 0) return -1;
            next = ext[0];
            offset += (ext[1] + 2) * 4;
        } else {
            /* A fragment header, ESP, no next header, or anything unknown: the ports
             * cannot be read for sure. */
            return -1;
        }
    }
    if (next != IPPROTO_TCP && next != IPPROTO_UDP) return -1;
    p->key.family = 6;
    p->key.protocol = next;
    return parse_ports(skb, offset, p);
}

static __always_inline int parse(struct __sk_buff *skb, struct parsed_packet *p) {
    __u16 protocol = skb->protocol;
    __u32 offset = 0;
    /* A tag the device did not strip (QinQ's inner tag, or no VLAN offload) sits at
     * the network header. */
#pragma unroll
    for (int i = 0; i < MAX_VLAN_TAGS; i++) {
        if (protocol != bpf_htons(ETH_P_8021Q) && protocol != bpf_htons(ETH_P_8021AD)) break;
        __u16 tag[2];
        if (load(skb, offset, tag, sizeof(tag)) < 0) return -1;
        protocol = tag[1];
        offset += 4;
    }
    if (protocol == bpf_htons(ETH_P_IP)) return parse_ipv4(skb, offset, p);
    if (protocol == bpf_htons(ETH_P_IPV6)) return parse_ipv6(skb, offset, p);
    return -1;
}

SEC("tc")
int shunt_tc_bypass(struct __sk_buff *skb) {
    struct shunt_bypass_config *cfg = current_config();
    /* A packet someone else marked already follows their policy. */
    if (!cfg || skb->mark != 0) return TC_ACT_UNSPEC;
    /* The header reads see only the skb's linear part, which holds the headers at ingress
     * (GRO and the drivers put them there). A packet whose headers are not all there is
     * left alone. (Pulling them in would need pointer arithmetic the verifier refuses
     * without CAP_PERFMON, which the service does not have.) */
    struct parsed_packet p = {};
    if (parse(skb, &p) < 0) return TC_ACT_UNSPEC;

    const __u64 now = bpf_ktime_get_ns();
    int bypass;
    struct shunt_flow_value *flow = bpf_map_lookup_elem(&flows, &p.key);
    int fresh = !flow || p.tcp_syn ||
                (p.key.protocol == IPPROTO_UDP && now - flow->last_seen_ns > cfg->udp_idle_ns);
    if (!fresh) {
        bypass = flow->bypass;
        flow->last_seen_ns = now;
    } else {
        bypass = p.key.family == 4 ? bypasses_v4(cfg, p.key.daddr[0], p.key.dport)
                                   : bypasses_v6(cfg, p.key.daddr, p.key.dport);
        struct shunt_flow_value value = {.last_seen_ns = now, .bypass = bypass};
        bpf_map_update_elem(&flows, &p.key, &value, BPF_ANY);
    }
    if (!bypass) return TC_ACT_UNSPEC;
    skb->mark = cfg->routing_mark;
    struct shunt_bypass_counters *c = counter();
    if (c) {
        c->packets++;
        c->bytes += skb->len;
        if (fresh) c->flows++;
    }
    return TC_ACT_UNSPEC;
}

/* ---- cgroup connect: the desktop's own sockets ---- */

static __always_inline void mark_socket(struct bpf_sock_addr *ctx,
                                        const struct shunt_bypass_config *cfg, int bypass) {
    /* Never null in a connect hook (and comparing it with null is refused by older
     * verifiers without CAP_PERFMON). */
    struct bpf_sock *sk = ctx->sk;
    __u64 cookie = bpf_get_socket_cookie(ctx);
    if (bypass) {
        /* A socket with a mark of its own (shunt's outbounds, a VPN client) keeps it. */
        if (sk->mark != 0) return;
        __u32 mark = cfg->routing_mark;
        if (bpf_setsockopt(ctx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) return;
        __u8 one = 1;
        bpf_map_update_elem(&marked_sockets, &cookie, &one, BPF_ANY);
        struct shunt_bypass_counters *c = counter();
        if (c) c->sockets++;
    } else if (bpf_map_lookup_elem(&marked_sockets, &cookie)) {
        /* Connected again (UDP) to a destination that does not bypass. */
        __u32 mark = 0;
        bpf_setsockopt(ctx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
        bpf_map_delete_elem(&marked_sockets, &cookie);
    }
}

static __always_inline int ours(struct bpf_sock_addr *ctx, const struct shunt_bypass_config *cfg) {
    /* TCP only: a connected UDP socket may still sendto() other addresses, or be
     * disconnected (AF_UNSPEC, no hook runs), and its datagrams would keep the mark. */
    if (ctx->protocol != IPPROTO_TCP) return 0;
    return bpf_get_netns_cookie(ctx) == cfg->netns_cookie;
}

SEC("cgroup/connect4")
int shunt_connect4(struct bpf_sock_addr *ctx) {
    struct shunt_bypass_config *cfg = current_config();
    if (!cfg || !ours(ctx, cfg)) return 1;
    mark_socket(ctx, cfg, bypasses_v4(cfg, ctx->user_ip4, (__u16)ctx->user_port));
    return 1;
}

SEC("cgroup/connect6")
int shunt_connect6(struct bpf_sock_addr *ctx) {
    struct shunt_bypass_config *cfg = current_config();
    if (!cfg || !ours(ctx, cfg)) return 1;
    __u32 daddr[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
    const __u16 port = (__u16)ctx->user_port;
    int bypass;
    /* ::ffff:a.b.c.d on a dual-stack socket is an IPv4 connection. */
    if (daddr[0] == 0 && daddr[1] == 0 && daddr[2] == bpf_htonl(0xffff))
        bypass = bypasses_v4(cfg, daddr[3], port);
    else
        bypass = bypasses_v6(cfg, daddr, port);
    mark_socket(ctx, cfg, bypass);
    return 1;
}

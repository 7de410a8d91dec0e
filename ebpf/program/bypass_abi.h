/* The contract between shunt and its eBPF program (docs/ebpf.md): the maps' keys and
 * values, shared by the program (C, compiled with clang -target bpf) and the loader (C++).
 * UAPI types only, so the program needs no kernel BTF. Addresses and ports are in network
 * byte order, as the packet carries them. */
#ifndef SHUNT_EBPF_BYPASS_ABI_H
#define SHUNT_EBPF_BYPASS_ABI_H

#include <linux/types.h>

#define SHUNT_BYPASS_HIJACK_PORTS 8

/* config[0]: written by shunt at start and on every reload. */
struct shunt_bypass_config {
    __u32 enabled;      /* 0: mark nothing (global mode, start-up) */
    __u32 routing_mark; /* the fwmark whose rule leads to the main table */
    __u64 netns_cookie; /* the cgroup hooks touch only sockets of this namespace */
    __u64 udp_idle_ns;  /* a UDP flow idle this long is decided afresh */
    __u32 fake4_addr;   /* the fake-IP ranges: never marked, whatever the set says */
    __u32 fake4_mask;
    __u32 fake6_addr[4];
    __u32 fake6_mask[4];
    __u32 check_excluded; /* redir-host: consult the excluded-address map */
    __u32 hijack_count;   /* DNS hijack of any address: these ports are never marked */
    __u16 hijack_ports[SHUNT_BYPASS_HIJACK_PORTS];
};

/* The bypass set: LPM tries, one per family, each behind a one-slot array of maps so a
 * reload swaps the whole set in one update. The value is unused (presence is the answer). */
struct shunt_lpm_v4 {
    __u32 prefixlen;
    __u32 addr;
};
struct shunt_lpm_v6 {
    __u32 prefixlen;
    __u32 addr[4];
};

/* redir-host: addresses that carry a remembered domain, so domain rules may match them. */
struct shunt_excluded_key {
    __u32 family; /* 4 or 6 */
    __u32 addr[4];
};

/* The router's flow table (LRU): a flow keeps the path its first packet took. */
struct shunt_flow_key {
    __u32 saddr[4];
    __u32 daddr[4];
    __u16 sport;
    __u16 dport;
    __u8 protocol;
    __u8 family;
    __u16 pad;
};
struct shunt_flow_value {
    __u64 last_seen_ns;
    __u32 bypass;
    __u32 pad;
};

/* counters[0], one per CPU. */
struct shunt_bypass_counters {
    __u64 packets; /* marked by the tc program */
    __u64 bytes;
    __u64 flows;   /* flows whose first packet was marked */
    __u64 sockets; /* sockets marked by the connect hooks */
};

#endif

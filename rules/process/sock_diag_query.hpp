// Which socket (inode and owning uid) holds a local endpoint: one NETLINK_SOCK_DIAG query.
//
// The kernel knows every socket by its 4-tuple, and sock_diag answers "who is
// 127.0.0.1:40000 -> 1.2.3.4:443" without touching /proc. It reports the socket's inode
// and uid, not its process: mapping inode -> pid is ProcessCache's job.
//
// Lookup strategy, cheapest first:
//   TCP with a remote: an exact request (no NLM_F_DUMP): O(1) hash lookup in the kernel,
//   ~10 us; authoritative, so a miss is not retried as a dump.
//   Otherwise (UDP, or TCP without a remote): a dump filtered in the kernel by source port
//   (and destination port when known), matched here on addresses, wildcards included:
//   an unconnected UDP socket bound to 0.0.0.0 owns every local address. ~250 us: the
//   kernel walks every bucket of the protocol's socket hash.
// A v4 flow may belong to a dual-stack AF_INET6 socket (bound to :: or connected to
// ::ffff:a.b.c.d), so v4 endpoints are tried as AF_INET first, then as AF_INET6.
#pragma once

#include <cstdint>
#include <optional>

#include "net/ip_address.hpp"
#include "rules/parse/rule_spec.hpp"

namespace shunt::rules {

struct SocketIdentity {
    std::uint64_t inode = 0;
    std::uint32_t uid = 0;
    friend bool operator==(const SocketIdentity&, const SocketIdentity&) = default;
};

// nullopt when no socket holds `local` (or netlink is unavailable). `remote` narrows
// the match (and enables the exact TCP request); without it, any peer matches.
std::optional<SocketIdentity> query_socket_identity(Network network, const Endpoint& local,
                                                    const std::optional<Endpoint>& remote);

}  // namespace shunt::rules

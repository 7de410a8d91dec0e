#include "rules/process/sock_diag_query.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace shunt::rules {
namespace {

// One netlink socket per query: opening it costs two syscalls, far less than the
// /proc work a miss may trigger, and keeps this function free of shared state.
class DiagSocket {
  public:
    DiagSocket() {
        fd_ = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd_ < 0) return;
        // A kernel answer takes microseconds; the timeout only guards against a hang.
        timeval timeout{.tv_sec = 1, .tv_usec = 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
    ~DiagSocket() {
        if (fd_ >= 0) ::close(fd_);
    }
    DiagSocket(const DiagSocket&) = delete;
    DiagSocket& operator=(const DiagSocket&) = delete;
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
};

// ::ffff:a.b.c.d is the same flow as a.b.c.d; compare in the v4 form.
IpAddress unmap(const IpAddress& address) {
    if (!address.is_v6()) return address;
    const auto& b = address.bytes();
    for (int i = 0; i < 10; ++i)
        if (b[i] != 0) return address;
    if (b[10] != 0xff || b[11] != 0xff) return address;
    return IpAddress::from_v4((std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
                              (std::uint32_t{b[14]} << 8) | b[15]);
}

Endpoint unmap(const Endpoint& endpoint) {
    return Endpoint{unmap(endpoint.address), endpoint.port};
}

bool is_unspecified(const IpAddress& address) {
    return address.to_u128() == 0;
}

void put_address(std::uint32_t out[4], const IpAddress& address, int family) {
    std::memset(out, 0, 16);
    auto* bytes = reinterpret_cast<std::uint8_t*>(out);
    if (family == AF_INET) {
        std::memcpy(bytes, address.bytes().data(), 4);
    } else if (address.is_v4()) {
        bytes[10] = 0xff;
        bytes[11] = 0xff;
        std::memcpy(bytes + 12, address.bytes().data(), 4);
    } else {
        std::memcpy(bytes, address.bytes().data(), 16);
    }
}

IpAddress get_address(const std::uint32_t in[4], int family) {
    if (family == AF_INET) return IpAddress::from_v4(ntohl(in[0]));
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), in, 16);
    return unmap(IpAddress::from_v6(bytes));
}

struct Query {
    int family = AF_INET;
    std::uint8_t protocol = IPPROTO_TCP;
    Endpoint local;
    std::optional<Endpoint> remote;
    bool exact = false;  // TCP 4-tuple request instead of a filtered dump
};

// How well a reported socket fits the query; 0 = not at all. A socket bound to the
// exact address beats a wildcard one, a connected socket matching the peer beats an
// unconnected one (a listener or an unconnected UDP socket sharing the port).
int match_score(const Query& query, const inet_diag_msg& msg) {
    if (msg.idiag_inode == 0) return 0;  // TIME_WAIT and request sockets: no owner
    if (ntohs(msg.id.idiag_sport) != query.local.port) return 0;
    const IpAddress source = get_address(msg.id.idiag_src, msg.idiag_family);
    int score = 1;
    if (source == query.local.address)
        score += 2;
    else if (!is_unspecified(source))
        return 0;
    const std::uint16_t peer_port = ntohs(msg.id.idiag_dport);
    if (query.remote && peer_port != 0) {
        if (peer_port != query.remote->port) return 0;
        const IpAddress peer = get_address(msg.id.idiag_dst, msg.idiag_family);
        if (peer != query.remote->address && !is_unspecified(peer)) return 0;
        score += 1;
    }
    return score;
}

std::optional<SocketIdentity> run(int fd, const Query& query) {
    static std::atomic<std::uint32_t> next_sequence{1};
    const std::uint32_t sequence = next_sequence.fetch_add(1, std::memory_order_relaxed);

    struct {
        nlmsghdr header;
        inet_diag_req_v2 body;
    } request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    request.header.nlmsg_flags = NLM_F_REQUEST | (query.exact ? 0 : NLM_F_DUMP);
    request.header.nlmsg_seq = sequence;
    request.body.sdiag_family = static_cast<std::uint8_t>(query.family);
    request.body.sdiag_protocol = query.protocol;
    request.body.idiag_states = ~0u;
    // The dump filters on these ports in the kernel; the exact request needs all four.
    request.body.id.idiag_sport = htons(query.local.port);
    request.body.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    request.body.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    if (query.exact || query.protocol == IPPROTO_TCP) {
        if (query.remote) request.body.id.idiag_dport = htons(query.remote->port);
    }
    if (query.exact) {
        put_address(request.body.id.idiag_src, query.local.address, query.family);
        put_address(request.body.id.idiag_dst, query.remote->address, query.family);
    }

    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel) < 0)
        return std::nullopt;

    std::optional<SocketIdentity> best;
    int best_score = 0;
    alignas(nlmsghdr) static thread_local std::array<char, 32 * 1024> buffer;
    for (;;) {
        const ssize_t received = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (received < 0 && errno == EINTR) continue;
        if (received <= 0) return best;
        bool multipart = false;
        int remaining = static_cast<int>(received);
// NLMSG_OK compares the header's unsigned length with the int the kernel's macro wants.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
        for (auto* header = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(header, remaining);
             header = NLMSG_NEXT(header, remaining)) {
#pragma GCC diagnostic pop
            if (header->nlmsg_seq != sequence) continue;
            if (header->nlmsg_type == NLMSG_DONE || header->nlmsg_type == NLMSG_ERROR) return best;
            multipart = multipart || (header->nlmsg_flags & NLM_F_MULTI) != 0;
            if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
            if (header->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) continue;
            const auto* msg = static_cast<const inet_diag_msg*>(NLMSG_DATA(header));
            // The exact request already names one socket; the kernel may report it in
            // v6 form for a dual-stack socket, so trust it rather than re-match.
            const int score =
                query.exact ? (msg->idiag_inode != 0 ? 4 : 0) : match_score(query, *msg);
            if (score > best_score) {
                best_score = score;
                best = SocketIdentity{msg->idiag_inode, msg->idiag_uid};
            }
            if (best_score >= 4 || (best_score >= 3 && !query.remote)) return best;
        }
        if (!multipart) return best;
    }
}

}  // namespace

std::optional<SocketIdentity> query_socket_identity(Network network, const Endpoint& local_in,
                                                    const std::optional<Endpoint>& remote_in) {
    const Endpoint local = unmap(local_in);
    std::optional<Endpoint> remote;
    if (remote_in) {
        remote = unmap(*remote_in);
        // A peer of the other family cannot be on this flow; ignore it rather than miss.
        if (remote->address.family() != local.address.family()) remote.reset();
    }
    DiagSocket socket;
    if (socket.fd() < 0) return std::nullopt;

    // A v4 local endpoint may sit on a dual-stack AF_INET6 socket: ask both families.
    const std::array<int, 2> families{AF_INET, AF_INET6};
    const std::size_t first_family = local.address.is_v4() ? 0 : 1;
    Query query;
    query.protocol = network == Network::tcp ? IPPROTO_TCP : IPPROTO_UDP;
    query.local = local;
    query.remote = remote;
    // A connected TCP socket always has a specific local address and a peer, so the
    // exact request is authoritative: no dump fallback, a miss costs two round trips.
    query.exact = network == Network::tcp && remote.has_value();
    for (std::size_t i = first_family; i < families.size(); ++i) {
        query.family = families[i];
        if (auto found = run(socket.fd(), query)) return found;
    }
    return std::nullopt;
}

}  // namespace shunt::rules

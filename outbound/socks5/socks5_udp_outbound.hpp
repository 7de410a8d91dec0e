// One UDP flow through a SOCKS5 proxy (RFC 1928 UDP ASSOCIATE). Each flow gets its own
// association: a TCP control connection that keeps it alive and one routing-marked UDP
// socket that talks to the relay address from the reply. Closing the outbound closes both,
// which ends the association on the proxy.
//
//  - Datagrams sent before the association is ready wait in a queue of kPendingLimit; more
//    are refused with would_block (a DNS or QUIC client retries; a queue would only grow).
//  - Datagrams to `as_seen` go to the target by its domain when it has one (the proxy
//    resolves it), else by its address; datagrams to other endpoints go there (full cone).
//  - Replies naming the target are reported as coming from `as_seen`: its domain, any
//    address on the target's port for a domain target (the proxy reports the address it
//    resolved to), or the target's address. Others keep their own address.
//  - Only datagrams from the relay's address and port are accepted.
//  - The control connection closing or failing ends the session through on_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include <boost/asio/any_io_executor.hpp>

#include "outbound/outbound.hpp"
#include "outbound/socks5/socks5_options.hpp"

namespace shunt::outbound {

struct Socks5UdpCounters {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t dropped_fragments = 0;       // FRAG != 0
    std::uint64_t dropped_malformed = 0;       // bad header
    std::uint64_t dropped_foreign_source = 0;  // not from the relay, or an unknown domain
};

class Socks5UdpOutbound final : public UdpOutbound {
  public:
    static constexpr std::size_t kPendingLimit = 16;

    Socks5UdpOutbound(boost::asio::any_io_executor executor,
                      std::shared_ptr<const Socks5Options> options, AddressLookup lookup,
                      Target target, Endpoint as_seen);
    ~Socks5UdpOutbound() override;
    Socks5UdpOutbound(const Socks5UdpOutbound&) = delete;
    Socks5UdpOutbound& operator=(const Socks5UdpOutbound&) = delete;

    // Starts the association; on_error gets "socks5 NAME: udp associate TARGET: WHY" when it
    // cannot be made or when it ends.
    void start(ReceiveHandler on_receive, ErrorHandler on_error) override;
    UdpSendResult send(std::span<const std::uint8_t> payload, const Endpoint& destination) override;
    void close() override;

    bool associated() const;
    // The relay address datagrams go to, once associated.
    std::optional<Endpoint> relay() const;
    // The local address of the control connection, once associated (tests look it up in
    // `ss` to see it torn down).
    std::optional<Endpoint> control_local_endpoint() const;
    const Socks5UdpCounters& counters() const;

  private:
    class Association;
    // Shared with the association's own operations in flight: the object may be destroyed
    // while a receive or the dial still has to complete.
    std::shared_ptr<Association> association_;
};

}  // namespace shunt::outbound

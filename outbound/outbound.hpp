// Outbound: where the rules send a connection. One object per configured proxy (direct,
// SOCKS5, mux) or group (select, url-test, fallback), found by name in the OutboundSet.
// The netstack's flow routers call it once per flow; everything runs on the loop that owns
// the netstack.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

#include "net/ip_address.hpp"
#include "outbound/stream.hpp"
#include "outbound/udp_outbound.hpp"

namespace shunt::outbound {

// What a flow wants to reach. A flow to a fake IP has only the domain (a proxy resolves
// it on its side: the fake address never leaves the machine); a flow to a real address has
// the address (and the domain too in redir-host mode).
struct Target {
    std::string domain;
    std::optional<IpAddress> address;
    std::uint16_t port = 0;
    // Addresses already looked up for `domain` (an IP rule needed them); direct dials these
    // instead of asking again.
    std::vector<IpAddress> resolved;

    // "example.com:443", or "203.0.113.9:443" / "[2001:db8::1]:443" without a domain.
    std::string to_string() const;
};

enum class OutboundType : std::uint8_t { direct, reject, socks5, mux, select, url_test, fallback };
std::string_view to_string(OutboundType type);

class Outbound {
  public:
    // On success `stream` is connected and relays bytes as they are. On failure ec is set
    // and `reason` is the line to log ("socks5 10.0.0.1:1080: authentication failed").
    using ConnectHandler = std::function<void(const boost::system::error_code& ec,
                                              std::unique_ptr<Stream> stream, std::string reason)>;

    virtual ~Outbound() = default;

    virtual const std::string& name() const = 0;
    virtual OutboundType type() const = 0;

    // Connects to `target`. The handler runs exactly once, never inline, within the
    // outbound's connect deadline. A caller that lost interest just drops the stream.
    virtual void connect(const Target& target, ConnectHandler handler) = 0;

    // An outbound for one UDP flow: datagrams the application sends to `as_seen` (its fake
    // IP, or the real address) go to `target`, and replies from the target are reported as
    // coming from `as_seen`. nullptr with `refusal` set when this outbound carries no UDP.
    virtual std::unique_ptr<UdpOutbound> open_udp(const Target& target, const Endpoint& as_seen,
                                                  std::string& refusal) = 0;

    // A group's current member (what connect() would use now); nullptr for a proxy.
    virtual const Outbound* selected_member() const { return nullptr; }
    // A group's members in the configured order; empty for a proxy.
    virtual const std::vector<std::shared_ptr<Outbound>>& members() const;
};

// How outbounds that dial by name resolve it (dns/: hosts, cache, upstreams).
using AddressCallback =
    std::function<void(const boost::system::error_code& ec, std::vector<IpAddress> addresses)>;
using AddressLookup = std::function<void(const std::string& name, AddressCallback done)>;

}  // namespace shunt::outbound

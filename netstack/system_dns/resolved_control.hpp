// How shunt talks to systemd-resolved: over D-Bus with sd-bus when built with libsystemd
// (resolved_bus.cpp), else by running resolvectl (resolvectl_command.cpp: the static
// build). Both set the same per-link settings on shunt's TUN device; only the bus can
// watch resolved restart. docs/system-dns.md.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "net/ip_address.hpp"

namespace shunt::netstack {

// The link the settings go to: resolved keys links by index, resolvectl by name.
struct ResolvedLinkId {
    int ifindex = 0;
    std::string name;
};

class ResolvedControl {
  public:
    virtual ~ResolvedControl() = default;

    // "D-Bus" or "resolvectl", for logs.
    virtual const char* transport() const = 0;
    // Whether systemd-resolved runs and answers.
    virtual bool available() = 0;
    // DNS server `server` (address:port), the routing domain "~." (every name), default
    // route on; LLMNR, mDNS, DNSSEC and DNS-over-TLS off (shunt's DNS answers with fake
    // addresses that no DNSSEC chain signs). Throws std::runtime_error with resolved's
    // message.
    virtual void set_link(const ResolvedLinkId& link, const Endpoint& server) = 0;
    // Drops every setting of the link (RevertLink). Never throws; failures are logged.
    virtual void revert_link(const ResolvedLinkId& link) noexcept = 0;
    // Descriptions of the other links (or the global settings) that route "~." too: they
    // race shunt for every query.
    virtual std::vector<std::string> other_catch_all_links(const ResolvedLinkId& link) = 0;
    // Calls `restarted` (on the executor) whenever resolved takes its bus name again, so
    // the settings, which lived in the old process, are re-applied. False when this
    // transport cannot watch.
    virtual bool watch_restarts(std::function<void()> restarted) = 0;
};

// The bus when shunt was built with sd-bus, resolvectl otherwise.
std::unique_ptr<ResolvedControl> make_resolved_control(boost::asio::any_io_executor executor);
// The resolvectl transport, whatever the build (tests run both).
std::unique_ptr<ResolvedControl> make_resolvectl_control();

}  // namespace shunt::netstack

// DestinationNames: what classifying a flow needs of DNS, and nothing more. A flow's
// destination address names its domain through the fake-IP pool (or, in redir-host mode,
// through the memory of recent answers); a rule on an IP may need the domain resolved once.
// dns::DnsService provides it through DnsDestinationNames; tests give a table of their own.
#pragma once

#include <optional>
#include <string>

#include "net/ip_address.hpp"
#include "outbound/outbound.hpp"

namespace shunt::flow {

class DestinationNames {
  public:
    virtual ~DestinationNames() = default;

    // The address is in a fake-IP range: it says nothing about the real destination, and a
    // flow to it must never be dialed as it is.
    virtual bool is_fake(const IpAddress& address) const = 0;
    // The domain behind a fake IP (or a remembered real one); nullopt when unknown.
    virtual std::optional<std::string> domain_for(const IpAddress& address) = 0;
    // Resolves `name` (hosts, cache, upstreams). The callback runs on the caller's loop.
    virtual void lookup_addresses(const std::string& name, outbound::AddressCallback done) = 0;
};

}  // namespace shunt::flow

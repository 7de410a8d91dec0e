#include "flow/dns_destination_names.hpp"

#include "dns/server/dns_service.hpp"

namespace shunt::flow {

bool DnsDestinationNames::is_fake(const IpAddress& address) const {
    return dns_.pool().in_range(address);
}

std::optional<std::string> DnsDestinationNames::domain_for(const IpAddress& address) {
    return dns_.domain_for(address);
}

void DnsDestinationNames::lookup_addresses(const std::string& name,
                                           outbound::AddressCallback done) {
    dns_.lookup_addresses(name, std::move(done));
}

}  // namespace shunt::flow

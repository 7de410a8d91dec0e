#include "dns/server/dns_policy.hpp"

#include "dns/filter/default_fake_ip_filter.hpp"

namespace shunt::dns {

ResolverConfig resolver_config(const DnsConfig& dns) {
    ResolverConfig rc;
    rc.upstreams = dns.upstreams;
    rc.nameserver_policy = dns.nameserver_policy;
    if (dns.split) {
        rc.split =
            ResolverConfig::Split{dns.split->domestic, dns.split->foreign, dns.split->domestic_ips};
    }
    rc.upstream_options.timeout = dns.upstream_timeout;
    rc.upstream_options.ca_file = dns.ca_file;
    rc.upstream_options.bootstrap = dns.bootstrap;
    rc.cache_size = dns.cache_size;
    return rc;
}

std::shared_ptr<const DnsPolicy> DnsPolicy::build(boost::asio::any_io_executor executor,
                                                  std::shared_ptr<const Config> config) {
    auto policy = std::make_shared<DnsPolicy>();
    const auto& dns = config->dns;
    if (dns.fake_ip_filter_default) {
        for (auto text : default_fake_ip_filter()) {
            // The shipped list is covered by a unit test, so parse() cannot fail here.
            if (auto pattern = DomainPattern::parse(text, nullptr))
                policy->fake_ip_filter.add(*pattern);
        }
    }
    for (const auto& pattern : dns.fake_ip_filter) policy->fake_ip_filter.add(pattern);
    for (const auto& host : dns.hosts) {
        auto& addresses = policy->hosts[host.name];
        addresses.insert(addresses.end(), host.addresses.begin(), host.addresses.end());
    }
    auto rc = resolver_config(dns);
    // With a TUN device, upstream queries must not enter it (auto_route would loop them).
    if (config->tun.enable) rc.upstream_options.routing_mark = config->tun.routing_mark;
    policy->resolver = Resolver::create(executor, rc);
    policy->config = std::move(config);
    return policy;
}

}  // namespace shunt::dns

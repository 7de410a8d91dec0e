// Everything about answering DNS that a config reload replaces at once: the filter,
// static hosts, the resolver and the answer settings. Immutable after build(); the
// server holds the current one by shared_ptr, and queries in flight keep the one they
// started with (so a reload never drops them).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "config/config.hpp"
#include "dns/resolve/resolver.hpp"
#include "net/domain_pattern.hpp"

namespace shunt::dns {

// The resolver settings of a [dns] section (upstreams, policy, split, timeouts, cache).
ResolverConfig resolver_config(const DnsConfig& dns);

struct DnsPolicy {
    std::shared_ptr<const Config> config;
    DomainPatternSet fake_ip_filter;  // the shipped default list (if enabled) plus the user's
    std::unordered_map<std::string, std::vector<IpAddress>> hosts;
    std::shared_ptr<Resolver> resolver;

    const DnsConfig& dns() const { return config->dns; }
    bool is_filtered(std::string_view name) const { return fake_ip_filter.matches(name); }

    // Throws std::runtime_error when a part cannot be built (e.g. an unreadable IP set).
    static std::shared_ptr<const DnsPolicy> build(boost::asio::any_io_executor executor,
                                                  std::shared_ptr<const Config> config);
};

}  // namespace shunt::dns

// Reads [dns] and its tables ([dns.nameserver_policy], [dns.split], [dns.hosts]), declared
// key by key (dns_section_spec): the DNS server's listeners, the fake-IP pool and the
// upstreams. Everything but the pool's range and store is applied by a reload.
#pragma once

#include "config/config.hpp"
#include "config/config_reader.hpp"
#include "config/key_spec.hpp"

namespace shunt {

const SectionSpec<DnsConfig>& dns_section_spec();

// Relative paths (fake_ip_store, ca_file, domestic_ips) start at `context.base_dir`.
void read_dns_section(const toml::table& table, ConfigReader& top, const ReadContext& context,
                      DnsConfig& dns);

}  // namespace shunt

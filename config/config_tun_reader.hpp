// Reads [tun]: the TUN device, its routes and the netstack's limits, declared key by key
// (tun_section_spec). Defaults that depend on [dns] (the device addresses sit at the first
// address of each fake-IP range) are filled in here, so the rest of shunt sees one
// complete TunConfig.
#pragma once

#include "config/config.hpp"
#include "config/config_reader.hpp"
#include "config/key_spec.hpp"

namespace shunt {

// Every [tun] key: what it reads into, its range, and what a reload does with it.
const SectionSpec<TunConfig>& tun_section_spec();

// `dns` must already be read (the defaults come from its fake-IP ranges).
void read_tun_section(const toml::table& table, ConfigReader& top, Config& config);

// [tun] system_dns's names, as the config writes them ("auto", "resolv.conf", ...).
const char* system_dns_name(SystemDnsMode mode);

// The address the system's resolver is pointed at (system_dns): the first [dns] listen
// address on loopback or on every address (then asked on loopback), else, when a port may
// be named (systemd-resolved), the first listen address. /etc/resolv.conf cannot name a
// port: with `port_53_only`, only a loopback or unspecified address on port 53 qualifies.
std::optional<Endpoint> system_dns_server(const DnsConfig& dns, bool port_53_only);

}  // namespace shunt

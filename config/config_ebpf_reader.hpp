// Reads [ebpf]: the kernel bypass for direct traffic (docs/ebpf.md). Checks across
// sections: the bypass needs the TUN and somewhere to attach (lan_interfaces for a router,
// auto_route for a desktop), and the program guards at most 8 DNS-hijacked ports.
#pragma once

#include "config/config.hpp"
#include "config/config_reader.hpp"
#include "config/key_spec.hpp"

namespace shunt {

// Every [ebpf] key, declared once.
const SectionSpec<EbpfConfig>& ebpf_section_spec();

// After [tun] was read.
void read_ebpf_section(const toml::table& table, ConfigReader& top, Config& config);

// The ports the program must never mark: DNS hijack entries for any address (0.0.0.0 or
// ::), without duplicates; hijacks of one address are taken out of the set instead.
std::vector<std::uint16_t> ebpf_hijack_ports(const TunConfig& tun);

}  // namespace shunt

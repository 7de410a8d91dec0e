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

}  // namespace shunt

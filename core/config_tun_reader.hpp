// Reads [tun]: the TUN device, its routes and the netstack's limits. Defaults that depend
// on [dns] (the device addresses sit at the first address of each fake-IP range) are
// filled in here, so the rest of shunt sees one complete TunConfig.
#pragma once

#include "core/config.hpp"
#include "core/config_reader.hpp"

namespace shunt {

// `dns` must already be read (the defaults come from its fake-IP ranges).
void read_tun_section(const toml::table& table, ConfigReader& top, Config& config);

}  // namespace shunt

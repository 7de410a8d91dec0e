// `shunt mux-server -c FILE`: the mux server users deploy on their VPS (docs/mux.md). It
// reads [log], [dns] (how target names are resolved) and [mux_server] from FILE, serves
// until SIGINT/SIGTERM and then closes every carrier.
#pragma once

#include <string>

namespace shunt {

// The process exit code: 0 after a clean stop, 1 when the config or the startup fails.
int run_mux_server(const std::string& config_path, int verbosity);

}  // namespace shunt

// The `shunt run` process: loads the config, starts the services on one event loop,
// and handles signals (SIGINT/SIGTERM stop cleanly, SIGHUP reloads).
#pragma once

#include <string>

namespace shunt {

// Returns the process exit code: 0 after a clean stop, 1 when the config or the
// startup fails (every reason logged).
int run_app(const std::string& config_path, int verbosity);

}  // namespace shunt

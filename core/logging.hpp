// Process-wide logging through spdlog: one stderr sink, the level from [log] level,
// raised by -v on the command line (which wins over the file, also across reloads).
#pragma once

#include "core/config.hpp"

namespace shunt {

void setup_logging(LogLevel configured, int verbosity);
// Applies a reloaded config's level, unless -v pinned a more verbose one.
void apply_log_level(LogLevel configured);

}  // namespace shunt

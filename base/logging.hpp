// Process-wide logging through spdlog: one stderr sink, the level from [log] level,
// raised by -v on the command line (which wins over the file, also across reloads).
#pragma once

#include <string_view>

namespace shunt {

// [log] level.
enum class LogLevel { trace, debug, info, warn, error, off };
std::string_view to_string(LogLevel level);

void setup_logging(LogLevel configured, int verbosity);
// Applies a reloaded config's level, unless -v pinned a more verbose one.
void apply_log_level(LogLevel configured);

}  // namespace shunt

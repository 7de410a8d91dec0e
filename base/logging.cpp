#include "base/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace shunt {

namespace {

int g_verbosity = 0;

spdlog::level::level_enum to_spdlog(LogLevel level) {
    switch (level) {
        case LogLevel::trace:
            return spdlog::level::trace;
        case LogLevel::debug:
            return spdlog::level::debug;
        case LogLevel::info:
            return spdlog::level::info;
        case LogLevel::warn:
            return spdlog::level::warn;
        case LogLevel::error:
            return spdlog::level::err;
        case LogLevel::off:
            return spdlog::level::off;
    }
    return spdlog::level::info;
}

spdlog::level::level_enum effective(LogLevel configured) {
    auto level = to_spdlog(configured);
    if (g_verbosity >= 2) return spdlog::level::trace;
    if (g_verbosity == 1) return std::min(level, spdlog::level::debug);
    return level;
}

}  // namespace

void setup_logging(LogLevel configured, int verbosity) {
    g_verbosity = verbosity;
    auto logger = spdlog::stderr_color_mt("shunt");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(effective(configured));
    // Errors reach the terminal or journal at once; routine lines may wait for a buffer.
    spdlog::flush_on(spdlog::level::warn);
}

void apply_log_level(LogLevel configured) {
    spdlog::set_level(effective(configured));
}

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::trace:
            return "trace";
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
        case LogLevel::off:
            return "off";
    }
    return "?";
}

}  // namespace shunt

// Turns a TOML file into a validated Config, collecting every error instead of
// stopping at the first, so `shunt check` can list them all at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/config_reader.hpp"
#include "config/key_spec.hpp"

namespace shunt {

struct ConfigLoadResult {
    std::shared_ptr<const Config> config;  // null when errors is not empty
    std::vector<ConfigError> errors;
};

ConfigLoadResult load_config(const std::string& path);
// Same, from text already in memory; `path` names it in errors and anchors relative paths.
ConfigLoadResult parse_config(std::string_view text, const std::string& path);

// [log], declared once (the other sections' declarations are in their readers).
const SectionSpec<LogConfig>& log_section_spec();

}  // namespace shunt

// Reads [mux_server]: what `shunt mux-server` listens on and how it authenticates
// clients. Certificate and key must be readable when the file is loaded, so a wrong path
// shows up in `shunt check`, not at the first client.
#pragma once

#include <filesystem>

#include "core/config.hpp"
#include "core/config_reader.hpp"

namespace shunt {

// `base_dir` anchors relative cert and key paths.
void read_mux_server_section(const toml::table& table, ConfigReader& top,
                             const std::filesystem::path& base_dir, Config& config);

}  // namespace shunt

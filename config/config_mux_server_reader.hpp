// Reads [mux_server]: what `shunt mux-server` listens on and how it authenticates
// clients. Certificate and key must be readable when the file is loaded, so a wrong path
// shows up in `shunt check`, not at the first client.
#pragma once

#include <filesystem>

#include "config/config.hpp"
#include "config/config_reader.hpp"
#include "config/key_spec.hpp"

namespace shunt {

// Every [mux_server] key, declared once.
const SectionSpec<MuxServerConfig>& mux_server_section_spec();

// `base_dir` anchors relative cert and key paths.
void read_mux_server_section(const toml::table& table, ConfigReader& top,
                             const std::filesystem::path& base_dir, Config& config);

}  // namespace shunt

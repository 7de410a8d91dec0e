// Reads [api]: where the control API listens and who may use it (docs/api.md §1.2). The
// one check across keys is the security floor: an API reachable from other machines must
// have a secret, so a non-loopback `listen` without one is an error, not a warning.
#pragma once

#include <filesystem>

#include "config/config.hpp"
#include "config/config_reader.hpp"
#include "config/key_spec.hpp"

namespace shunt {

// Every [api] key, declared once.
const SectionSpec<ApiConfig>& api_section_spec();

// `base_dir` anchors relative paths (unix, external_ui).
void read_api_section(const toml::table& table, ConfigReader& top,
                      const std::filesystem::path& base_dir, Config& config);

}  // namespace shunt

// The rule engine's runtime mode, switched by the REST API (and set at start by the config's
// top-level `mode`).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace shunt::rules {

enum class Mode : std::uint8_t {
    rule,    // first matching rule
    global,  // everything to the GLOBAL selector's choice
    direct,  // everything DIRECT
};

std::string_view to_string(Mode mode);
// "rule", "global", "direct" (lower case, as Clash writes them).
std::optional<Mode> mode_from_name(std::string_view name);

}  // namespace shunt::rules

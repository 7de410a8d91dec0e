#include "rules/parse/mode.hpp"

namespace shunt::rules {

std::string_view to_string(Mode mode) {
    switch (mode) {
        case Mode::rule:
            return "rule";
        case Mode::global:
            return "global";
        case Mode::direct:
            return "direct";
    }
    return "?";
}

std::optional<Mode> mode_from_name(std::string_view name) {
    for (Mode mode : {Mode::rule, Mode::global, Mode::direct})
        if (name == to_string(mode)) return mode;
    return std::nullopt;
}

}  // namespace shunt::rules

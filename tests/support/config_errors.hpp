// Test helpers for ConfigLoadResult: the errors as the user sees them, and a search.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "config/config_loader.hpp"

namespace shunt::test {

inline std::vector<std::string> error_lines(const ConfigLoadResult& r) {
    std::vector<std::string> lines;
    for (const auto& e : r.errors) lines.push_back(e.format());
    return lines;
}

inline bool has_error(const ConfigLoadResult& r, const std::string& needle) {
    auto lines = error_lines(r);
    return std::any_of(lines.begin(), lines.end(),
                       [&](const auto& l) { return l.find(needle) != std::string::npos; });
}

}  // namespace shunt::test

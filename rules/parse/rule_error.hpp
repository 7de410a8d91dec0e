// Where a rule came from, and a load error pointing there. The config loader turns
// these into its own ConfigErrors; `shunt check` prints them all at once.
#pragma once

#include <string>

namespace shunt::rules {

struct SourcePosition {
    std::string file;
    int line = 0;    // 1-based
    int column = 1;  // 1-based column of the rule text's first character
};

struct RuleLoadError {
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;

    // "file:line:column: message"
    std::string format() const {
        return file + ':' + std::to_string(line) + ':' + std::to_string(column) + ": " + message;
    }
};

}  // namespace shunt::rules

// From a loaded Config to a CompiledRules ready for the engine: opens the GeoIP database,
// reads every declared rule-set file, and compiles. This is the second half of
// validation (the config loader checks the rule lines; this checks the files they refer
// to), so `shunt check`, `shunt run` and a SIGHUP reload all call it and report its
// errors the same way: rule-set lines as "set-file:line:column: rule_sets.NAME: ...",
// the rest at the config key that named the file.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <vector>

#include "config/config.hpp"
#include "config/config_error.hpp"
#include "rules/engine/bypass_compiler.hpp"
#include "rules/engine/compiled_rules.hpp"

namespace shunt::rules {

struct RuleBuildResult {
    std::shared_ptr<const CompiledRules> rules;  // null when errors is not empty
    std::vector<ConfigError> errors;
    std::size_t rule_set_entries = 0;                   // across all sets, for the startup log line
    std::map<std::string, std::size_t> entries_by_set;  // [rule_sets.NAME] -> its entries
    std::chrono::milliseconds elapsed{0};
    // What may bypass the TUN in rule mode (the eBPF bypass, `shunt check -v`); null unless
    // asked for.
    std::shared_ptr<const RuleBypass> bypass;
};

// when_enabled: the bypass is compiled only with [ebpf] enable.
enum class BypassCompile { when_enabled, always };

RuleBuildResult build_rules(const Config& config,
                            BypassCompile bypass = BypassCompile::when_enabled);

}  // namespace shunt::rules

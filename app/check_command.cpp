#include "app/check_command.hpp"

#include <ostream>

#include "config/config_loader.hpp"
#include "ebpf/bypass_service.hpp"
#include "rules/engine/rule_build.hpp"

namespace shunt::app {

int run_check(const std::string& config_path, bool verbose, std::ostream& out, std::ostream& err) {
    auto result = load_config(config_path);
    rules::RuleBuildResult rules;
    // The files the config refers to are checked once the config itself reads.
    if (result.errors.empty())
        rules = rules::build_rules(*result.config, verbose ? rules::BypassCompile::always
                                                           : rules::BypassCompile::when_enabled);
    auto errors = std::move(result.errors);
    errors.insert(errors.end(), rules.errors.begin(), rules.errors.end());
    for (const auto& e : errors) err << e.format() << "\n";
    if (!errors.empty()) {
        err << errors.size() << (errors.size() == 1 ? " error" : " errors") << " in " << config_path
            << "\n";
        return 1;
    }
    out << config_path << ": ok (" << result.config->rules.size() << " rules, "
        << rules.rule_set_entries << " rule-set entries)\n";
    if (verbose && rules.bypass) {
        const Config& config = *result.config;
        const auto set = rules::bypass_for_mode(rules::Mode::rule, *rules.bypass,
                                                ebpf::bypass_exclusions(config));
        out << "ebpf bypass in rule mode" << (config.ebpf.enable ? "" : " (if [ebpf] enable)")
            << ": " << rules::describe_bypass(set, *rules.bypass) << "\n";
    }
    return 0;
}

}  // namespace shunt::app

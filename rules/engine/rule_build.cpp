#include "rules/engine/rule_build.hpp"

#include <algorithm>
#include <stdexcept>

namespace shunt::rules {

namespace {

// Owns the database and the lookup over it, so one shared_ptr keeps both alive.
struct OwnedCountryLookup {
    explicit OwnedCountryLookup(const std::string& path) : database(path), lookup(database) {}
    MmdbCountry database;
    MmdbCountryLookup lookup;
};

bool needs_country_database(const RuleSpec& rule) {
    if (rule.type == RuleType::geoip && rule.payload != "LAN") return true;
    return std::any_of(rule.children.begin(), rule.children.end(), needs_country_database);
}

class RuleBuilder {
  public:
    RuleBuilder(const Config& config, bool bypass) : config_(config), bypass_(bypass) {}

    RuleBuildResult build() {
        const auto started = std::chrono::steady_clock::now();
        open_country_database();
        for (const RuleSetConfig& set : config_.rule_sets) load_rule_set(set);
        if (result_.errors.empty()) compile();
        result_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        return std::move(result_);
    }

  private:
    void error_at(const ConfigPosition& where, std::string key, std::string message) {
        result_.errors.push_back(
            {config_.path, where.line, where.column, std::move(key), std::move(message)});
    }

    void open_country_database() {
        if (config_.geoip.database.empty()) return;
        try {
            countries_ = std::make_shared<OwnedCountryLookup>(config_.geoip.database);
        } catch (const std::exception& e) {
            error_at(config_.geoip.position, "geoip.database", e.what());
        }
    }

    void load_rule_set(const RuleSetConfig& set) {
        const std::string key = "rule_sets." + set.name;
        RuleSetEntries entries = load_rule_set_file(set.path, set.behavior);
        for (const RuleLoadError& e : entries.errors) {
            if (e.line == 0) {  // the file itself: point at the config line naming it
                error_at(set.position, key + ".path", e.message);
            } else {
                result_.errors.push_back({e.file, e.line, e.column, key, e.message});
            }
        }
        if (entries.error_count > entries.errors.size())
            result_.errors.push_back({set.path, 0, 0, key,
                                      std::to_string(entries.error_count - entries.errors.size()) +
                                          " more errors in this file (only the first " +
                                          std::to_string(entries.errors.size()) + " are listed)"});
        result_.rule_set_entries += entries.entry_count();
        result_.entries_by_set[set.name] = entries.entry_count();
        if (config_.geoip.database.empty()) {
            auto missing =
                std::find_if(entries.rules.begin(), entries.rules.end(), needs_country_database);
            // One line is enough to say what is missing.
            if (missing != entries.rules.end())
                result_.errors.push_back(
                    {set.path, missing->line, missing->column, key,
                     "GEOIP," + missing->payload +
                         " needs a country database: set [geoip] database = \"PATH.mmdb\""});
        }
        library_.emplace(set.name, std::move(entries));
    }

    void compile() {
        CompileOptions options;
        options.rule_sets = &library_;
        if (countries_) {
            options.countries = &countries_->lookup;
            options.keep_alive = countries_;
        }
        try {
            result_.rules = std::make_shared<const CompiledRules>(
                CompiledRules::compile(config_.rules, options));
            if (bypass_)
                result_.bypass = std::make_shared<const RuleBypass>(
                    compile_rule_bypass(config_.rules, &library_, options.countries));
        } catch (const std::exception& e) {
            // The loader's checks should make this unreachable; if not, say so plainly.
            result_.errors.push_back({config_.path, 0, 0, "rules", e.what()});
        }
    }

    const Config& config_;
    bool bypass_;
    RuleBuildResult result_;
    RuleSetLibrary library_;
    std::shared_ptr<OwnedCountryLookup> countries_;
};

}  // namespace

RuleBuildResult build_rules(const Config& config, BypassCompile bypass) {
    return RuleBuilder(config, bypass == BypassCompile::always || config.ebpf.enable).build();
}

}  // namespace shunt::rules

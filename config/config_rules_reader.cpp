#include "config/config_rules_reader.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <tuple>

#include "rules/parse/rule_list.hpp"

namespace shunt {

namespace {

// The rules are rebuilt on every reload (rule sets and the GeoIP database read again).
constexpr auto applied = OnReload::applied;

// Targets every config has; [[proxies]] and [[groups]] add their names. GLOBAL is not a
// target: it is what global mode uses instead of the rules.
constexpr std::string_view kBuiltinTargets[] = {"DIRECT", "REJECT"};

// The key of each rule line, found by where the line is written: "rules" for a lone
// string, "rules[i]" in a list.
class RuleKeys {
  public:
    explicit RuleKeys(const ConfigReader& top) {
        const auto* node = top.raw().get("rules");
        if (node && node->is_string()) add(*node, top.key_path("rules"));
        const auto* array = node ? node->as_array() : nullptr;
        for (std::size_t i = 0; array && i < array->size(); ++i)
            if (array->get(i)->is_string())
                add(*array->get(i), top.key_path("rules") + "[" + std::to_string(i) + "]");
    }

    // The key of the last rule starting at or before the position.
    std::string at(int line, int column) const {
        std::string key = "rules";
        for (const auto& [where, rule_key] : keys_)
            if (std::tie(where.line, where.column) <= std::tie(line, column)) key = rule_key;
        return key;
    }

  private:
    void add(const toml::node& node, std::string key) {
        auto where = position_of(node);
        ++where.column;  // the node starts at the opening quote; rules count from their text
        keys_.emplace_back(where, std::move(key));
    }

    std::vector<std::pair<ConfigPosition, std::string>> keys_;
};

std::vector<std::string> clash_strings(const std::vector<rules::RuleSpec>& list) {
    std::vector<std::string> out;
    for (const auto& rule : list) out.push_back(rules::to_clash_string(rule));
    return out;
}

KeySpec<Config> rules_key() {
    KeySpec<Config> key;
    key.name = "rules";
    key.doc = "Clash rules, first match wins; none: everything DIRECT";
    key.on_reload = applied;
    key.read = [](ConfigReader& r, Config& config, const ReadContext&) {
        std::vector<std::pair<std::string, rules::SourcePosition>> lines;
        r.strings("rules",
                  [&](const std::string& value, const std::string&, const toml::node& node) {
                      const auto where = position_of(node);
                      // The node starts at the opening quote; columns count from the rule's text.
                      lines.push_back({value, {r.file(), where.line, where.column + 1}});
                  });
        auto parsed = rules::parse_rule_list(lines);
        const RuleKeys keys(r);
        for (const auto& e : parsed.errors)
            r.errors().push_back({e.file, e.line, e.column, keys.at(e.line, e.column), e.message});
        config.rules = std::move(parsed.rules);
    };
    // The same rules in the same order, wherever in the file they are written.
    key.equal = [](const Config& a, const Config& b) {
        return clash_strings(a.rules) == clash_strings(b.rules);
    };
    key.copy = [](Config& to, const Config& from) { to.rules = from.rules; };
    key.show = [](const Config& config) { return show_list(clash_strings(config.rules)); };
    return key;
}

SectionSpec<Config> make_top_level_spec() {
    using rules::Mode;
    SectionSpec<Config> spec;
    spec.keys.push_back(enum_key("mode", &Config::mode,
                                 {{rules::to_string(Mode::rule), Mode::rule},
                                  {rules::to_string(Mode::global), Mode::global},
                                  {rules::to_string(Mode::direct), Mode::direct}},
                                 true, applied,
                                 "rule, global (everything to GLOBAL's choice) or direct"));
    spec.keys.push_back(rules_key());
    return spec;
}

SectionSpec<RuleSetConfig> make_rule_set_spec() {
    using rules::RuleSetBehavior;
    SectionSpec<RuleSetConfig> spec;
    auto& k = spec.keys;
    k.push_back(custom_key("path", &RuleSetConfig::path, applied,
                           "the rule-set file (Clash text format)",
                           [](ConfigReader& r, RuleSetConfig& set, const ReadContext& context) {
                               auto path = r.string("path");
                               if (path && !path->empty()) {
                                   set.path = resolve_config_path(context.base_dir, *path);
                                   set.position = position_of(*r.raw().get("path"));
                               } else if (!path) {
                                   r.error_at_key("path", "required: the rule-set file");
                               } else {
                                   r.error_at_key("path", "must not be empty");
                               }
                           }));
    k.back().required = true;
    k.push_back(required_key(
        enum_key("behavior", &RuleSetConfig::behavior,
                 {{"domain", RuleSetBehavior::domain},
                  {"ipcidr", RuleSetBehavior::ipcidr},
                  {"classical", RuleSetBehavior::classical}},
                 true, applied, "what each line is: domain, ipcidr or classical (a rule)"),
        "required: \"domain\", \"ipcidr\" or \"classical\""));
    return spec;
}

SectionSpec<GeoipConfig> make_geoip_spec() {
    SectionSpec<GeoipConfig> spec;
    spec.keys.push_back(required_key(
        custom_key("database", &GeoipConfig::database, applied,
                   "the MaxMind country database GEOIP rules consult",
                   [](ConfigReader& r, GeoipConfig& geoip, const ReadContext& context) {
                       auto database = r.string("database");
                       if (!database) return;
                       if (database->empty()) {
                           r.error_at_key("database", "must name a MaxMind .mmdb country database");
                       } else {
                           geoip.database = resolve_config_path(context.base_dir, *database);
                           geoip.position = position_of(*r.raw().get("database"));
                       }
                   }),
        "required: the path of a MaxMind .mmdb country database"));
    return spec;
}

class RuleSectionsReader {
  public:
    RuleSectionsReader(ConfigReader& top, const std::filesystem::path& base_dir,
                       const OutboundNames& outbound_names, Config& config)
        : top_(top), context_{base_dir}, outbound_names_(outbound_names), config_(config) {}

    void read() {
        top_level_spec().read_keys(top_, config_, context_);
        if (const auto* geoip = top_.table("geoip")) {
            ConfigReader r(*geoip, "geoip", top_.file(), top_.errors());
            geoip_section_spec().read(r, config_.geoip, context_);
        }
        if (const auto* sets = top_.table("rule_sets")) read_rule_sets(*sets);
        const RuleKeys keys(top_);
        for (const auto& rule : config_.rules) {
            const std::string key = keys.at(rule.line, rule.column);
            check_target(rule, key);
            check_references(rule, key);
        }
    }

  private:
    void read_rule_sets(const toml::table& table) {
        ConfigReader sets(table, "rule_sets", top_.file(), top_.errors());
        for (const auto& [key, node] : table) {
            const std::string name(key.str());
            const auto* set_table = sets.table(name);
            if (set_table == nullptr) continue;  // reported by table()
            ConfigReader r(*set_table, "rule_sets." + name, top_.file(), top_.errors());
            const std::size_t errors_before = r.errors().size();
            RuleSetConfig set;
            set.name = name;
            if (name.empty() || name.find_first_of(",() \t") != std::string::npos) {
                sets.error(node, sets.key_path(name),
                           "a rule-set name must be non-empty, without commas, parentheses or "
                           "spaces (RULE-SET,NAME,TARGET refers to it)");
            }
            rule_set_spec().read_keys(r, set, context_);
            const bool ok = r.errors().size() == errors_before;
            r.finish();
            if (ok) config_.rule_sets.push_back(std::move(set));
            declared_sets_.insert(name);
        }
    }

    void add_error(const rules::RuleSpec& rule, const std::string& key, std::string message) {
        top_.errors().push_back({top_.file(), rule.line, rule.column, key, std::move(message)});
    }

    void check_target(const rules::RuleSpec& rule, const std::string& key) {
        const bool builtin = std::find(std::begin(kBuiltinTargets), std::end(kBuiltinTargets),
                                       rule.target) != std::end(kBuiltinTargets);
        if (!builtin && !outbound_names_.count(rule.target))
            add_error(rule, key,
                      "unknown target \"" + rule.target +
                          "\": a rule sends to DIRECT, REJECT or a name from [[proxies]] or "
                          "[[groups]]");
    }

    // RULE-SET names a declared set; GEOIP (other than LAN) has a database. Sub-rules of
    // AND/OR/NOT count too.
    void check_references(const rules::RuleSpec& rule, const std::string& key) {
        if (rule.type == rules::RuleType::rule_set && !declared_sets_.count(rule.payload))
            add_error(rule, key,
                      "unknown rule set \"" + rule.payload + "\": declare it as [rule_sets." +
                          rule.payload + "]");
        if (rule.type == rules::RuleType::geoip && rule.payload != "LAN" &&
            config_.geoip.database.empty() && !geoip_error_reported_) {
            geoip_error_reported_ = true;
            add_error(rule, key,
                      "GEOIP," + rule.payload +
                          " needs a country database: set [geoip] database = \"PATH.mmdb\"");
        }
        for (const auto& child : rule.children) check_references(child, key);
    }

    ConfigReader& top_;
    const ReadContext context_;
    const OutboundNames& outbound_names_;
    Config& config_;
    std::set<std::string, std::less<>> declared_sets_;
    bool geoip_error_reported_ = false;
};

}  // namespace

const SectionSpec<Config>& top_level_spec() {
    static const SectionSpec<Config> spec = make_top_level_spec();
    return spec;
}

const SectionSpec<RuleSetConfig>& rule_set_spec() {
    static const SectionSpec<RuleSetConfig> spec = make_rule_set_spec();
    return spec;
}

const SectionSpec<GeoipConfig>& geoip_section_spec() {
    static const SectionSpec<GeoipConfig> spec = make_geoip_spec();
    return spec;
}

void read_rule_sections(ConfigReader& top, const std::filesystem::path& base_dir,
                        const OutboundNames& outbound_names, Config& config) {
    RuleSectionsReader(top, base_dir, outbound_names, config).read();
}

}  // namespace shunt

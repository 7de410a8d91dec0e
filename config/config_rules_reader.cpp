#include "config/config_rules_reader.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <tuple>

#include "rules/parse/rule_list.hpp"

namespace shunt {

namespace {

// Targets every config has; [[proxies]] and [[groups]] add their names. GLOBAL is not a
// target: it is what global mode uses instead of the rules.
constexpr std::string_view kBuiltinTargets[] = {"DIRECT", "REJECT"};

class RuleSectionsReader {
  public:
    RuleSectionsReader(ConfigReader& top, const std::filesystem::path& base_dir,
                       const OutboundNames& outbound_names, Config& config)
        : top_(top), base_dir_(base_dir), outbound_names_(outbound_names), config_(config) {}

    void read() {
        if (auto mode = top_.string("mode")) {
            if (auto parsed = rules::mode_from_name(*mode))
                config_.mode = *parsed;
            else
                top_.error_at_key(
                    "mode", "expected \"rule\", \"global\" or \"direct\", found \"" + *mode + "\"");
        }
        if (const auto* geoip = top_.table("geoip")) read_geoip(*geoip);
        if (const auto* sets = top_.table("rule_sets")) read_rule_sets(*sets);
        read_rules();
    }

  private:
    static ConfigPosition position_of(const toml::node& node) {
        const auto& begin = node.source().begin;
        return {static_cast<int>(begin.line), static_cast<int>(begin.column)};
    }

    void read_geoip(const toml::table& table) {
        ConfigReader r(table, "geoip", top_.file(), top_.errors());
        if (auto database = r.string("database")) {
            if (database->empty()) {
                r.error_at_key("database", "must name a MaxMind .mmdb country database");
            } else {
                config_.geoip.database = resolve_config_path(base_dir_, *database);
                config_.geoip.position = position_of(*table.get("database"));
            }
        } else if (!table.get("database")) {
            r.error_at_key("database", "required: the path of a MaxMind .mmdb country database");
        }
        r.finish();
    }

    void read_rule_sets(const toml::table& table) {
        ConfigReader sets(table, "rule_sets", top_.file(), top_.errors());
        for (const auto& [key, node] : table) {
            const std::string name(key.str());
            const auto* set_table = sets.table(name);
            if (set_table == nullptr) continue;  // reported by table()
            ConfigReader r(*set_table, "rule_sets." + name, top_.file(), top_.errors());
            RuleSetConfig set;
            set.name = name;
            bool ok = true;
            if (name.empty() || name.find_first_of(",() \t") != std::string::npos) {
                sets.error(node, sets.key_path(name),
                           "a rule-set name must be non-empty, without commas, parentheses or "
                           "spaces (RULE-SET,NAME,TARGET refers to it)");
                ok = false;
            }
            if (auto path = r.string("path"); path && !path->empty()) {
                set.path = resolve_config_path(base_dir_, *path);
                set.position = position_of(*set_table->get("path"));
            } else {
                if (!path)
                    r.error_at_key("path", "required: the rule-set file");
                else
                    r.error_at_key("path", "must not be empty");
                ok = false;
            }
            if (auto behavior = r.string("behavior")) {
                if (auto parsed = rules::rule_set_behavior_from_name(*behavior)) {
                    set.behavior = *parsed;
                } else {
                    r.error_at_key("behavior",
                                   "expected \"domain\", \"ipcidr\" or "
                                   "\"classical\", found \"" +
                                       *behavior + "\"");
                    ok = false;
                }
            } else {
                if (!set_table->get("behavior"))
                    r.error_at_key("behavior", "required: \"domain\", \"ipcidr\" or \"classical\"");
                ok = false;
            }
            r.finish();
            if (ok) config_.rule_sets.push_back(std::move(set));
            declared_sets_.insert(name);
        }
    }

    void read_rules() {
        std::vector<std::pair<std::string, rules::SourcePosition>> lines;
        std::vector<std::string> keys;
        top_.strings("rules", [&](const std::string& value, const std::string& key_path,
                                  const toml::node& node) {
            const auto where = position_of(node);
            // The node starts at the opening quote; columns count from the rule's text.
            lines.push_back({value, {top_.file(), where.line, where.column + 1}});
            keys.push_back(key_path);
        });
        auto parsed = rules::parse_rule_list(lines);
        auto key_at = [&](int line, int column) -> std::string {
            // The last rule starting at or before the position wrote it.
            std::string key = "rules";
            for (std::size_t i = 0; i < lines.size(); ++i) {
                const auto& where = lines[i].second;
                if (std::tie(where.line, where.column) <= std::tie(line, column)) key = keys[i];
            }
            return key;
        };
        for (const auto& e : parsed.errors)
            top_.errors().push_back(
                {e.file, e.line, e.column, key_at(e.line, e.column), e.message});
        for (const auto& rule : parsed.rules) {
            const std::string key = key_at(rule.line, rule.column);
            check_target(rule, key);
            check_references(rule, key);
        }
        config_.rules = std::move(parsed.rules);
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
    const std::filesystem::path& base_dir_;
    const OutboundNames& outbound_names_;
    Config& config_;
    std::set<std::string, std::less<>> declared_sets_;
    bool geoip_error_reported_ = false;
};

}  // namespace

void read_rule_sections(ConfigReader& top, const std::filesystem::path& base_dir,
                        const OutboundNames& outbound_names, Config& config) {
    RuleSectionsReader(top, base_dir, outbound_names, config).read();
}

}  // namespace shunt

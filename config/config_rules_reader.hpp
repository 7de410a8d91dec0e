// Reads the rule engine's part of the config file: the top-level `mode` and `rules`, the
// [rule_sets.NAME] tables and [geoip], each declared key by key. Rule lines go through
// rules/parse, and the checks that need the whole file happen here: every target names
// DIRECT, REJECT, a proxy or a group, every RULE-SET names a declared set, and GEOIP
// rules have a database. Errors carry the file, line, column and key ("rules[3]",
// "rule_sets.ads.behavior") like every other config error.
#pragma once

#include <filesystem>

#include "config/config.hpp"
#include "config/config_proxies_reader.hpp"
#include "config/config_reader.hpp"
#include "config/key_spec.hpp"

namespace shunt {

// The root table's own keys: `mode` and `rules` (checked against the other sections by
// read_rule_sections).
const SectionSpec<Config>& top_level_spec();
// The keys of each [rule_sets.NAME] table.
const SectionSpec<RuleSetConfig>& rule_set_spec();
// [geoip]'s keys.
const SectionSpec<GeoipConfig>& geoip_section_spec();

// `top` reads the root table; `base_dir` anchors relative rule-set and database paths;
// `outbound_names` are the proxy and group names a rule may send to.
void read_rule_sections(ConfigReader& top, const std::filesystem::path& base_dir,
                        const OutboundNames& outbound_names, Config& config);

}  // namespace shunt

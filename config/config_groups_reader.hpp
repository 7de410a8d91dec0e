// Reads [[groups]]: proxies chosen among members at runtime. An entry is declared key by
// key: the keys every group has (group_section_spec), then those of its type
// (group_type_spec: the probe of url-test and fallback). After every entry is read:
// each member is declared, and no group contains itself, directly or through others.
#pragma once

#include <vector>

#include "config/config.hpp"
#include "config/config_reader.hpp"
#include "config/key_spec.hpp"
#include "config/outbound_entries.hpp"

namespace shunt {

// The keys of every [[groups]] entry: name, type, proxies.
const SectionSpec<GroupConfig>& group_section_spec();
// The keys of a group of `type` beyond those: none for select, the probe for fallback, the
// probe and its tolerance for url-test (whose keys are every other type's too).
const SectionSpec<GroupConfig>& group_type_spec(GroupType type);

// Fills config.groups from the [[groups]] tables, declaring their names in `names`, which
// already holds the proxies'.
// A probe URL, http://HOST[:PORT][/PATH][?QUERY] (groups' `url`, the API's delay tests);
// nullopt with `error` set when it is not one.
std::optional<ProbeUrl> parse_probe_url(std::string_view text, std::string& error);

void read_group_sections(ConfigReader& top, const std::vector<const toml::table*>& tables,
                         DeclaredNames& names, Config& config);

}  // namespace shunt

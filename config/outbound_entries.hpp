// What [[proxies]] and [[groups]] entries share: they are written as arrays of tables,
// their names live in one namespace (rules and groups refer to either), and each entry's
// type decides which other keys it has: a key of another type is reported as such.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/config_reader.hpp"
#include "config/key_spec.hpp"

namespace shunt {

using OutboundNames = std::set<std::string, std::less<>>;

// The tables of an array of tables ([[proxies]]); anything else is reported.
std::vector<const toml::table*> array_entries(ConfigReader& top, std::string_view key);

// Why `name` cannot name a proxy or group, or "" when it can.
std::string outbound_name_problem(const std::string& name);

// `name`, required and well formed; DeclaredNames checks that it is unique. A malformed
// name is still kept, so later checks see every name the user meant to declare.
template <class Entry>
KeySpec<Entry> outbound_name_key(std::string_view doc) {
    auto key = custom_key("name", &Entry::name, OnReload::applied, doc,
                          [](ConfigReader& r, Entry& entry, const ReadContext&) {
                              entry.position = position_of(*r.raw().get("name"));
                              auto name = r.string("name");
                              if (!name) return;
                              if (auto problem = outbound_name_problem(*name); !problem.empty())
                                  r.error_at_key("name", std::move(problem));
                              entry.name = *name;
                          });
    return required_key(std::move(key), "required");
}

// The names proxies and groups declare, and where: a second entry of one name is an error.
class DeclaredNames {
  public:
    // Registers the entry's name when it is well formed (else its own error was reported).
    void declare(ConfigReader& r, const toml::table& entry);
    bool contains(std::string_view name) const { return declared_.count(name) != 0; }
    OutboundNames names() const;

  private:
    std::map<std::string, ConfigPosition, std::less<>> declared_;
};

// Keys `other` declares and `own` does not, written in this entry anyway: each is reported
// with `why` ("only for type = ..."), which beats "unknown key".
template <class Own, class Other>
void reject_keys_of(ConfigReader& r, const SectionSpec<Own>& own, const SectionSpec<Other>& other,
                    const std::string& why) {
    for (const auto& key : other.keys) {
        if (own.find(key.name) || !r.raw().get(key.name)) continue;
        r.node(key.name);
        r.error_at_key(key.name, why);
    }
}

// An entry without a valid type: its type's keys cannot be checked, but are not unknown.
template <class Section>
void skip_keys_of(ConfigReader& r, const SectionSpec<Section>& spec) {
    for (const auto& key : spec.keys) r.node(key.name);
}

}  // namespace shunt

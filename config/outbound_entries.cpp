#include "config/outbound_entries.hpp"

#include <algorithm>

namespace shunt {

namespace {

// DIRECT and REJECT are built-in targets; GLOBAL is the implicit selector of global mode.
constexpr std::string_view kReservedNames[] = {"DIRECT", "REJECT", "GLOBAL"};

}  // namespace

std::vector<const toml::table*> array_entries(ConfigReader& top, std::string_view key) {
    std::vector<const toml::table*> tables;
    const auto* node = top.node(key);
    if (!node) return tables;
    const auto* array = node->as_array();
    if (!array) {
        top.error_at_key(
            key, "expected an array of tables: write each entry as [[" + std::string(key) + "]]");
        return tables;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
        if (const auto* table = array->get(i)->as_table())
            tables.push_back(table);
        else
            top.error(*array->get(i), top.key_path(key) + "[" + std::to_string(i) + "]",
                      "expected a table");
    }
    return tables;
}

std::string outbound_name_problem(const std::string& name) {
    if (name.empty() || name.find_first_of(",()") != std::string::npos || name.front() == ' ' ||
        name.back() == ' ')
        return "must be non-empty, without commas, parentheses or surrounding spaces "
               "(rules refer to it as TYPE,VALUE,NAME)";
    if (std::find(std::begin(kReservedNames), std::end(kReservedNames), name) !=
        std::end(kReservedNames))
        return "\"" + name + "\" is reserved (DIRECT, REJECT and GLOBAL are built in)";
    return {};
}

void DeclaredNames::declare(ConfigReader& r, const toml::table& entry) {
    const auto* node = entry.get("name");
    const auto* name = node ? node->as_string() : nullptr;
    if (!name || !outbound_name_problem(name->get()).empty()) return;
    if (auto it = declared_.find(name->get()); it != declared_.end()) {
        r.error(*node, r.key_path("name"),
                "duplicate name \"" + name->get() + "\": already declared at line " +
                    std::to_string(it->second.line) + " (proxies and groups share names)");
        return;
    }
    declared_.emplace(name->get(), position_of(*node));
}

OutboundNames DeclaredNames::names() const {
    OutboundNames names;
    for (const auto& [name, position] : declared_) names.insert(name);
    return names;
}

}  // namespace shunt

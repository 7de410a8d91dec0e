// Reads one TOML table key by key and reports every problem with file, line, column
// and the key's dotted path. Keys a section does not read are reported as unknown when
// the section is finished: a typo must never be silently ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/config.hpp"
#include "config/config_error.hpp"

namespace shunt {

class ConfigReader {
  public:
    ConfigReader(const toml::table& table, std::string path, const std::string& file,
                 std::vector<ConfigError>& errors);

    std::optional<std::string> string(std::string_view key);
    std::optional<bool> boolean(std::string_view key);
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
    // A string or an array of strings; calls `each` with the value, its key path and node.
    void strings(std::string_view key,
                 const std::function<void(const std::string&, const std::string& key_path,
                                          const toml::node&)>& each);
    // Marks a sub-table as read and returns it (nullptr if absent or not a table).
    const toml::table* table(std::string_view key);
    // Marks a key as read without interpreting it (sections handled elsewhere).
    const toml::node* node(std::string_view key);

    void error(const toml::node& node, const std::string& key_path, std::string message);
    void error_at_key(std::string_view key, std::string message);
    std::string key_path(std::string_view key) const;
    const std::string& file() const { return file_; }
    std::vector<ConfigError>& errors() { return errors_; }
    const toml::table& raw() const { return table_; }

    // Whether `key` is written and no error about it came after `errors_before` (the size
    // of errors() then): checks across keys use only what was read cleanly.
    bool read_cleanly(std::string_view key, std::size_t errors_before) const;

    // Reports every key of the table that no getter asked for.
    void finish();

  private:
    const toml::node* find(std::string_view key);

    const toml::table& table_;
    std::string path_;
    const std::string& file_;
    std::vector<ConfigError>& errors_;
    std::set<std::string, std::less<>> read_;
};

// Where `node` is written, for errors found after loading.
ConfigPosition position_of(const toml::node& node);
// The plain keys of the root table, for the "written below a table header" hint.
std::span<const std::string_view> top_level_keys();

// Relative paths in the config file are relative to the file, not to the working directory.
std::string resolve_config_path(const std::filesystem::path& base_dir, const std::string& value);

}  // namespace shunt

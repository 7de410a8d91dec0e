#include "config/config_reader.hpp"

#include <algorithm>

namespace shunt {

namespace {

std::string_view type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::date:
        case toml::node_type::time:
        case toml::node_type::date_time:
            return "a date/time";
        default:
            return "nothing";
    }
}

}  // namespace

ConfigReader::ConfigReader(const toml::table& table, std::string path, const std::string& file,
                           std::vector<ConfigError>& errors)
    : table_(table), path_(std::move(path)), file_(file), errors_(errors) {}

std::string ConfigReader::key_path(std::string_view key) const {
    if (path_.empty()) return std::string(key);
    return path_ + "." + std::string(key);
}

const toml::node* ConfigReader::find(std::string_view key) {
    read_.emplace(key);
    return table_.get(key);
}

void ConfigReader::error(const toml::node& node, const std::string& key_path, std::string message) {
    const auto& begin = node.source().begin;
    errors_.push_back({file_, static_cast<int>(begin.line), static_cast<int>(begin.column),
                       key_path, std::move(message)});
}

void ConfigReader::error_at_key(std::string_view key, std::string message) {
    if (const auto* node = table_.get(key)) {
        error(*node, key_path(key), std::move(message));
    } else {
        const auto& begin = table_.source().begin;
        errors_.push_back({file_, static_cast<int>(begin.line), static_cast<int>(begin.column),
                           key_path(key), std::move(message)});
    }
}

std::optional<std::string> ConfigReader::string(std::string_view key) {
    const auto* node = find(key);
    if (!node) return std::nullopt;
    if (const auto* s = node->as_string()) return s->get();
    error(*node, key_path(key), "expected a string, found " + std::string(type_name(*node)));
    return std::nullopt;
}

std::optional<bool> ConfigReader::boolean(std::string_view key) {
    const auto* node = find(key);
    if (!node) return std::nullopt;
    if (const auto* b = node->as_boolean()) return b->get();
    error(*node, key_path(key), "expected true or false, found " + std::string(type_name(*node)));
    return std::nullopt;
}

std::optional<std::int64_t> ConfigReader::integer(std::string_view key, std::int64_t min,
                                                  std::int64_t max) {
    const auto* node = find(key);
    if (!node) return std::nullopt;
    const auto* i = node->as_integer();
    if (!i) {
        error(*node, key_path(key), "expected an integer, found " + std::string(type_name(*node)));
        return std::nullopt;
    }
    if (i->get() < min || i->get() > max) {
        error(*node, key_path(key),
              "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                  ", found " + std::to_string(i->get()));
        return std::nullopt;
    }
    return i->get();
}

void ConfigReader::strings(
    std::string_view key,
    const std::function<void(const std::string&, const std::string&, const toml::node&)>& each) {
    const auto* node = find(key);
    if (!node) return;
    if (const auto* s = node->as_string()) {
        each(s->get(), key_path(key), *node);
        return;
    }
    const auto* array = node->as_array();
    if (!array) {
        error(*node, key_path(key),
              "expected a string or an array of strings, found " + std::string(type_name(*node)));
        return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto& element = *array->get(i);
        auto element_path = key_path(key) + "[" + std::to_string(i) + "]";
        if (const auto* s = element.as_string()) {
            each(s->get(), element_path, element);
        } else {
            error(element, element_path,
                  "expected a string, found " + std::string(type_name(element)));
        }
    }
}

bool ConfigReader::read_cleanly(std::string_view key, std::size_t errors_before) const {
    if (!table_.get(key)) return false;
    const std::string path = key_path(key);
    return std::none_of(errors_.begin() + static_cast<std::ptrdiff_t>(errors_before), errors_.end(),
                        [&](const ConfigError& e) { return e.key == path; });
}

const toml::table* ConfigReader::table(std::string_view key) {
    const auto* node = find(key);
    if (!node) return nullptr;
    if (const auto* t = node->as_table()) return t;
    error(*node, key_path(key), "expected a table, found " + std::string(type_name(*node)));
    return nullptr;
}

const toml::node* ConfigReader::node(std::string_view key) {
    return find(key);
}

namespace {

// The plain keys of the file's root table: top_level_spec() in config_rules_reader.cpp
// declares them (a test keeps the two lists equal). Written below a [table] header they
// land in that table, which TOML does silently.
constexpr std::string_view kTopLevelKeys[] = {"mode", "rules"};

// The header that opened the table at `path`: "[[groups]]" for "groups[0]", "[dns.hosts]"
// for "dns.hosts".
std::string header_of(const std::string& path) {
    if (!path.empty() && path.back() == ']') return "[[" + path.substr(0, path.rfind('[')) + "]]";
    return "[" + path + "]";
}

}  // namespace

std::span<const std::string_view> top_level_keys() {
    return kTopLevelKeys;
}

ConfigPosition position_of(const toml::node& node) {
    const auto& begin = node.source().begin;
    return {static_cast<int>(begin.line), static_cast<int>(begin.column)};
}

std::string resolve_config_path(const std::filesystem::path& base_dir, const std::string& value) {
    if (value.empty() || std::filesystem::path(value).is_absolute()) return value;
    return (base_dir / value).lexically_normal().string();
}

void ConfigReader::finish() {
    for (const auto& [key, node] : table_) {
        if (read_.count(key.str())) continue;
        const auto& begin = key.source().begin;
        std::string message = "unknown key";
        const bool top_level = std::find(std::begin(kTopLevelKeys), std::end(kTopLevelKeys),
                                         key.str()) != std::end(kTopLevelKeys);
        if (!path_.empty() && top_level && !node.is_table())
            message += "; \"" + std::string(key.str()) +
                       "\" is a top-level key, but it is written below the " + header_of(path_) +
                       " header, so TOML puts it in that table: move it above the file's first "
                       "[table] header";
        errors_.push_back({file_, static_cast<int>(begin.line), static_cast<int>(begin.column),
                           key_path(key.str()), std::move(message)});
    }
}

}  // namespace shunt

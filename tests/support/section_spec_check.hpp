// Checks a SectionSpec against an example file's section: every declared key is written
// there (`key = ...`; a key whose default depends on other sections as `# key = ...`; one
// whose default is "not set" either way), and with its default, unless the key has none
// (required keys show an example value). Arrays of tables ([[proxies]]) are checked entry
// by entry: each key is shown by at least one entry of the type that has it. Also: the
// keys an example writes are declared, and integer keys refuse values out of their range.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/config_loader.hpp"
#include "config/key_spec.hpp"
#include "tests/support/config_errors.hpp"

namespace shunt::test {

// The lines of `header`'s table in the file at `path`, the header line first; for "" the
// file's top-level part, before its first [table] header.
inline std::string section_text(const std::string& path, const std::string& header) {
    std::ifstream in(path);
    std::string line, out;
    bool inside = header.empty();
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '[') inside = line == header;
        if (inside) out += line + "\n";
    }
    return out;
}

// A section shown commented out ("# [geoip]" and the "# key = ..." lines below it), with
// the comment marks taken off: "[geoip]\ndatabase = ...\n".
inline std::string commented_section_text(const std::string& path, const std::string& header) {
    std::ifstream in(path);
    std::string line, out;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line == "# " + header) inside = true;
        if (inside && line.rfind("#", 0) != 0) break;
        if (inside) out += line.substr(line.rfind("# ", 0) == 0 ? 2 : 1) + "\n";
    }
    return out;
}

// Each entry of an array of tables ([[proxies]]), in file order: from its header to the
// next header, its comments included.
inline std::vector<std::string> entry_texts(const std::string& path, const std::string& header) {
    std::ifstream in(path);
    std::string line;
    std::vector<std::string> entries;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '[') {
            inside = line == header;
            if (inside) entries.emplace_back();
        }
        if (inside) entries.back() += line + "\n";
    }
    return entries;
}

// The keys written in `text` as `key = ...`, and with `commented` also as `# key = ...`.
inline std::set<std::string> written_keys(const std::string& text, bool commented) {
    static const std::regex plain(R"(^([A-Za-z0-9_]+) = )");
    static const std::regex hashed(R"(^#\s*([A-Za-z0-9_]+) = )");
    std::set<std::string> keys;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        std::smatch m;
        if (std::regex_search(line, m, plain) || (commented && std::regex_search(line, m, hashed)))
            keys.insert(m[1]);
        start = end + 1;
    }
    return keys;
}

// Whether `text` shows `key` as its kind wants.
template <class Section>
bool shows_key(const KeySpec<Section>& key, const std::string& text) {
    const std::string name(key.name);
    const bool plain = text.find("\n" + name + " = ") != std::string::npos;
    if (key.derived_default) return text.find("\n# " + name + " = ") != std::string::npos;
    if (key.unset_default)
        return plain || std::regex_search(text, std::regex("\n#\\s*" + name + " = "));
    return plain;
}

// Whether a key written as `key = ...` must show its default.
template <class Section>
bool shows_its_default(const KeySpec<Section>& key) {
    return !key.required && !key.unset_default && !key.derived_default;
}

// `loaded` is the section as the file loads; `defaults` as an empty section loads.
template <class Section>
void expect_example_shows_every_key(const SectionSpec<Section>& spec, const std::string& path,
                                    const std::string& header, const Section& loaded,
                                    const Section& defaults) {
    const std::string text = section_text(path, header);
    ASSERT_FALSE(text.empty()) << path << " has no " << header;
    std::ifstream in(path);
    const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto& key : spec.keys) {
        const std::string name(key.name);
        if (key.table) {
            // "[dns.hosts]", or commented out when it has no default ("# [dns.split]").
            const std::string table_header = header.substr(0, header.size() - 1) + "." + name + "]";
            EXPECT_NE(whole.find(table_header), std::string::npos)
                << table_header << " is not in " << path;
            if (!key.required) {
                EXPECT_TRUE(key.equal(loaded, defaults))
                    << table_header << " in " << path << " is not empty (its default)";
            }
            continue;
        }
        EXPECT_TRUE(shows_key(key, "\n" + text))
            << header << " " << name << " is not in " << path
            << (key.derived_default ? " (its default depends on other sections: as a commented "
                                      "line)"
                                    : "");
        if (!shows_its_default(key)) continue;
        EXPECT_TRUE(key.equal(loaded, defaults))
            << header << " " << name << " is " << (key.show ? key.show(loaded) : "?") << " in "
            << path << ", its default is " << (key.show ? key.show(defaults) : "?");
    }
}

// A section the example shows commented out (it has no default: "# [geoip]"): every key
// of `spec` is in it, as the key wants. Returns the section's text, comment marks taken off.
template <class Section>
std::string expect_commented_section_shows_every_key(const SectionSpec<Section>& spec,
                                                     const std::string& path,
                                                     const std::string& header) {
    const std::string text = commented_section_text(path, header);
    EXPECT_FALSE(text.empty()) << path << " has no # " << header;
    for (const auto& key : spec.keys)
        EXPECT_TRUE(shows_key(key, "\n" + text))
            << "# " << header << " in " << path << " does not show " << key.name;
    return text;
}

// One entry of an array of tables: its text and the part of it `spec` reads, as loaded.
template <class Section>
struct ShownEntry {
    std::string text;
    Section loaded;
};

// Every key of `spec` is shown by at least one of `entries` (those of the type that has
// the keys), and an entry that writes a key with a default writes its default.
template <class Section>
void expect_entries_show_every_key(const SectionSpec<Section>& spec,
                                   const std::vector<ShownEntry<Section>>& entries,
                                   const std::string& what, const Section& defaults) {
    for (const auto& key : spec.keys) {
        const std::string name(key.name);
        bool shown = false;
        for (const auto& entry : entries) {
            shown = shown || shows_key(key, "\n" + entry.text);
            if (!shows_its_default(key) ||
                entry.text.find("\n" + name + " = ") == std::string::npos)
                continue;
            EXPECT_TRUE(key.equal(entry.loaded, defaults))
                << what << " " << name << " is " << (key.show ? key.show(entry.loaded) : "?")
                << ", its default is " << (key.show ? key.show(defaults) : "?") << " in\n"
                << entry.text;
        }
        EXPECT_TRUE(shown) << what << ": no entry shows " << name
                           << (key.derived_default ? " (as a commented line)" : "");
    }
}

// Each key written in `text` (commented out too, with `commented`) is declared by one of
// `specs`' names.
inline void expect_written_keys_declared(const std::string& text, bool commented,
                                         const std::set<std::string>& declared,
                                         const std::string& what) {
    for (const auto& key : written_keys(text, commented))
        EXPECT_TRUE(declared.count(key)) << what << " writes " << key << ", which is not declared";
}

template <class Section>
void add_names(std::set<std::string>& names, const SectionSpec<Section>& spec) {
    for (const auto& key : spec.keys) names.emplace(key.name);
}

// Every key has a doc line, and shows its default value.
template <class Section>
void expect_every_key_documented(const SectionSpec<Section>& spec, const Section& defaults) {
    for (const auto& key : spec.keys) {
        EXPECT_FALSE(key.doc.empty()) << key.name;
        ASSERT_TRUE(key.show) << key.name;
        EXPECT_FALSE(key.show(defaults).empty()) << key.name;
    }
}

// Each integer key of `spec` refuses its min - 1 and max + 1 with the reader's message at
// `prefix` + its name, and takes min and max without it. `config(key, value)` is a config
// file's text that sets the key to the value.
template <class Section>
void expect_ranges_enforced(
    const SectionSpec<Section>& spec, const std::string& prefix,
    const std::function<std::string(const std::string&, std::int64_t)>& config) {
    int ranged = 0;
    for (const auto& key : spec.keys) {
        if (!key.range) continue;
        ++ranged;
        const std::string name(key.name);
        const auto [min, max] = *key.range;
        const std::string message = prefix + name + ": must be between " + std::to_string(min) +
                                    " and " + std::to_string(max) + ", found ";
        for (const std::int64_t value : {min - 1, max + 1}) {
            const auto r = parse_config(config(name, value), "c.toml");
            EXPECT_FALSE(r.config) << name << " = " << value;
            EXPECT_TRUE(has_error(r, message + std::to_string(value)))
                << name << " = " << value << ": " << ::testing::PrintToString(error_lines(r));
        }
        for (const std::int64_t value : {min, max}) {
            const auto r = parse_config(config(name, value), "c.toml");
            EXPECT_FALSE(has_error(r, prefix + name + ": must be between"))
                << name << " = " << value << ": " << ::testing::PrintToString(error_lines(r));
        }
    }
    EXPECT_GT(ranged, 0) << prefix << ": no integer key";
}

}  // namespace shunt::test

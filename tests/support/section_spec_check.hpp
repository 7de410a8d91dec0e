// Checks a SectionSpec against an example file's section: every declared key is written
// there (`key = ...`; a key whose default depends on other sections as `# key = ...`), and
// with its default, unless the key has none (required keys show an example value).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "config/key_spec.hpp"

namespace shunt::test {

// The lines of `header`'s table in the file at `path`, the header line first.
inline std::string section_text(const std::string& path, const std::string& header) {
    std::ifstream in(path);
    std::string line, out;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '[') inside = line == header;
        if (inside) out += line + "\n";
    }
    return out;
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
        if (key.derived_default) {
            EXPECT_NE(text.find("\n# " + name + " = "), std::string::npos)
                << header << " " << name << ": its default depends on other sections; " << path
                << " should show it as a commented line";
            continue;
        }
        EXPECT_NE(text.find("\n" + name + " = "), std::string::npos)
            << header << " " << name << " is not in " << path;
        if (key.required) continue;
        EXPECT_TRUE(key.equal(loaded, defaults))
            << header << " " << name << " is " << (key.show ? key.show(loaded) : "?") << " in "
            << path << ", its default is " << (key.show ? key.show(defaults) : "?");
    }
}

}  // namespace shunt::test

// SectionSpec: a config section declared once, key by key — name, type, range, unit, the
// doc line, and whether a running shunt applies a change on reload. The declaration drives
// everything that used to be written per key by hand: reading (with the range check and
// the unit conversion), the unknown-key check (a key nobody declared is reported by the
// reader), comparing two configs key by key on reload, and the check that
// examples/full.toml shows every key with its default.
//
// Defaults are not repeated here: they are the section struct's own member initializers
// (a default-constructed section is the defaults), so they live in one place.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/config_reader.hpp"

namespace shunt {

enum class OnReload : std::uint8_t {
    applied,     // a running shunt takes the new value (for new flows where it is per flow)
    next_start,  // the running value stays until shunt restarts; a reload logs that
};

// What reading a key may need beyond its own value.
struct ReadContext {
    std::filesystem::path base_dir;  // the config file's folder: relative paths start there
};

template <class Section>
struct KeySpec {
    std::string_view name;
    std::string_view doc;  // one line, for `shunt check` and the docs
    OnReload on_reload = OnReload::next_start;
    // Its default depends on other sections (shown commented out in examples/full.toml).
    bool derived_default = false;
    // No default: the file must give it (examples show a value of their own).
    bool required = false;
    // Written as a table of its own ([section.key]), not as `key = value`.
    bool table = false;
    // Its default is "not set" (no authentication, no pinned certificate), which no value
    // writes: examples show a value of their own, commented out or not.
    bool unset_default = false;
    // integer_key's bounds, inclusive (the unit is the key name's).
    struct Range {
        std::int64_t min = 0;
        std::int64_t max = 0;
    };
    std::optional<Range> range;
    // Reads the key if present (range checks and errors through the reader).
    std::function<void(ConfigReader&, Section&, const ReadContext&)> read;
    std::function<bool(const Section&, const Section&)> equal;
    // Copies the key's value from `from` (a reload applying it).
    std::function<void(Section& to, const Section& from)> copy;
    // The value as the config file writes it, for logs ("mtu = 1500").
    std::function<std::string(const Section&)> show;
};

template <class Section>
struct SectionSpec {
    std::vector<KeySpec<Section>> keys;

    // Reads every declared key and reports the undeclared ones (unknown keys).
    void read(ConfigReader& reader, Section& section, const ReadContext& context = {}) const {
        read_keys(reader, section, context);
        reader.finish();
    }
    // Reads every declared key; the caller checks what spans keys, then finishes.
    void read_keys(ConfigReader& reader, Section& section, const ReadContext& context = {}) const {
        for (const auto& key : keys) key.read(reader, section, context);
    }
    // The keys whose values differ between a and b, in declaration order.
    std::vector<const KeySpec<Section>*> changed(const Section& a, const Section& b) const {
        std::vector<const KeySpec<Section>*> out;
        for (const auto& key : keys)
            if (!key.equal(a, b)) out.push_back(&key);
        return out;
    }
    const KeySpec<Section>* find(std::string_view name) const {
        for (const auto& key : keys)
            if (key.name == name) return &key;
        return nullptr;
    }
};

namespace key_spec_detail {

template <class T>
struct is_duration : std::false_type {};
template <class Rep, class Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

template <class T>
std::string show_value(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
        return value ? "true" : "false";
    } else if constexpr (std::is_same_v<T, std::string>) {
        return "\"" + value + "\"";
    } else if constexpr (is_duration<T>::value) {
        return std::to_string(value.count());
    } else {
        return std::to_string(value);
    }
}

}  // namespace key_spec_detail

// A list as the config file writes it, ["a", "b"]: `text` gives an element's text.
template <class T, class Text>
std::string show_list(const std::vector<T>& values, Text text) {
    std::string out = "[";
    for (const auto& v : values) out += (out.size() > 1 ? ", \"" : "\"") + text(v) + "\"";
    return out + "]";
}

inline std::string show_list(const std::vector<std::string>& values) {
    return show_list(values, [](const std::string& text) { return text; });
}

// The common members of every key kind below.
template <class Section, class T>
KeySpec<Section> member_key(std::string_view name, T Section::*member, OnReload on_reload,
                            std::string_view doc) {
    KeySpec<Section> key;
    key.name = name;
    key.doc = doc;
    key.on_reload = on_reload;
    key.equal = [member](const Section& a, const Section& b) { return a.*member == b.*member; };
    key.copy = [member](Section& to, const Section& from) { to.*member = from.*member; };
    if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string> ||
                  key_spec_detail::is_duration<T>::value)
        key.show = [member](const Section& s) { return key_spec_detail::show_value(s.*member); };
    return key;
}

// true or false.
template <class Section>
KeySpec<Section> boolean_key(std::string_view name, bool Section::*member, OnReload on_reload,
                             std::string_view doc) {
    auto key = member_key(name, member, on_reload, doc);
    key.read = [name, member](ConfigReader& r, Section& s, const ReadContext&) {
        if (auto v = r.boolean(name)) s.*member = *v;
    };
    return key;
}

// An integer in [min, max] into an integral member, or into a std::chrono::duration member
// whose unit is the key's (the key name says it: "_s", "_ms").
template <class Section, class T>
KeySpec<Section> integer_key(std::string_view name, T Section::*member, std::int64_t min,
                             std::int64_t max, OnReload on_reload, std::string_view doc) {
    auto key = member_key(name, member, on_reload, doc);
    key.range = {min, max};
    key.read = [name, member, min, max](ConfigReader& r, Section& s, const ReadContext&) {
        if (auto v = r.integer(name, min, max)) {
            if constexpr (key_spec_detail::is_duration<T>::value)
                s.*member = T(static_cast<typename T::rep>(*v));
            else
                s.*member = static_cast<T>(*v);
        }
    };
    return key;
}

// One of a few names, each standing for a value of an enum. The error lists the names as
// "a, b or c" (quoted when `quote_names`, as the section's other messages do).
template <class Section, class E>
KeySpec<Section> enum_key(std::string_view name, E Section::*member,
                          std::vector<std::pair<std::string_view, E>> names, bool quote_names,
                          OnReload on_reload, std::string_view doc) {
    auto key = member_key(name, member, on_reload, doc);
    key.read = [name, member, names, quote_names](ConfigReader& r, Section& s, const ReadContext&) {
        auto text = r.string(name);
        if (!text) return;
        for (const auto& [candidate, value] : names) {
            if (*text == candidate) {
                s.*member = value;
                return;
            }
        }
        std::string expected;
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (i > 0) expected += i + 1 == names.size() ? " or " : ", ";
            const std::string candidate(names[i].first);
            expected += quote_names ? "\"" + candidate + "\"" : candidate;
        }
        r.error_at_key(name, "expected " + expected + ", found \"" + *text + "\"");
    };
    key.show = [member, names](const Section& s) {
        for (const auto& [candidate, value] : names)
            if (s.*member == value) return "\"" + std::string(candidate) + "\"";
        return std::string("?");
    };
    return key;
}

// Any other kind: `read` parses and checks the value itself.
template <class Section, class T>
KeySpec<Section> custom_key(
    std::string_view name, T Section::*member, OnReload on_reload, std::string_view doc,
    std::type_identity_t<std::function<void(ConfigReader&, Section&, const ReadContext&)>> read,
    std::type_identity_t<std::function<std::string(const Section&)>> show = nullptr) {
    auto key = member_key(name, member, on_reload, doc);
    key.read = std::move(read);
    if (show) key.show = std::move(show);
    return key;
}

// `key`, which the file must give: absent, it is reported with `message` ("required: ...").
template <class Section>
KeySpec<Section> required_key(KeySpec<Section> key, std::string message) {
    key.required = true;
    key.read = [name = key.name, read = std::move(key.read), message = std::move(message)](
                   ConfigReader& r, Section& s, const ReadContext& context) {
        if (r.node(name))
            read(r, s, context);
        else
            r.error_at_key(name, message);
    };
    return key;
}

}  // namespace shunt

#include "config/config_groups_reader.hpp"

#include <algorithm>
#include <charconv>

#include "config/config_proxies_reader.hpp"

namespace shunt {

namespace {

// Groups are compared whole on reload: a changed one is rebuilt.
constexpr auto applied = OnReload::applied;

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

SectionSpec<GroupConfig> make_group_spec() {
    using G = GroupConfig;
    SectionSpec<G> spec;
    auto& k = spec.keys;
    k.push_back(outbound_name_key<G>("what rules and other groups call the group"));
    k.push_back(required_key(
        enum_key("type", &G::type,
                 {{to_string(GroupType::select), GroupType::select},
                  {to_string(GroupType::url_test), GroupType::url_test},
                  {to_string(GroupType::fallback), GroupType::fallback}},
                 true, applied, "select (the user's choice), url-test or fallback (probed)"),
        "required: \"select\", \"url-test\" or \"fallback\""));
    k.push_back(required_key(
        custom_key(
            "proxies", &G::proxies, applied,
            "members in order: proxies, other groups, DIRECT, REJECT",
            [](ConfigReader& r, G& group, const ReadContext&) {
                r.strings("proxies", [&](const std::string& value, const std::string& key_path,
                                         const toml::node& node) {
                    if (std::find(group.proxies.begin(), group.proxies.end(), value) !=
                        group.proxies.end())
                        r.error(node, key_path, "\"" + value + "\" is listed twice");
                    else
                        group.proxies.push_back(value);
                });
                if (const auto* array = r.raw().get("proxies")->as_array(); array && array->empty())
                    r.error_at_key("proxies",
                                   "the list is empty: a group needs at least one member");
            },
            [](const G& group) { return show_list(group.proxies); }),
        "required: the names of the group's members"));
    return spec;
}

SectionSpec<GroupConfig> make_probe_spec(bool with_tolerance) {
    using G = GroupConfig;
    SectionSpec<G> spec;
    auto& k = spec.keys;
    k.push_back(custom_key(
        "url", &G::url, applied, "the plain-HTTP URL each member's probe fetches",
        [](ConfigReader& r, G& group, const ReadContext&) {
            auto text = r.string("url");
            if (!text) return;
            std::string error;
            if (auto url = parse_probe_url(*text, error))
                group.url = std::move(*url);
            else
                r.error_at_key("url", error);
        },
        [](const G& group) { return "\"" + group.url.text + "\""; }));
    k.push_back(integer_key("interval_s", &G::interval, 1, 86400, applied,
                            "how often each member is probed"));
    k.push_back(integer_key("timeout_ms", &G::timeout, 1, 60000, applied,
                            "a probe slower than this counts the member as down"));
    if (with_tolerance)
        k.push_back(integer_key("tolerance_ms", &G::tolerance, 0, 60000, applied,
                                "another member must be faster by more to take over"));
    return spec;
}

// A group member as written, checked once every name in the file is known.
struct MemberReference {
    std::string name;
    std::string key_path;
    const toml::node* node = nullptr;
};

// The members `proxies` accepted (the first of each name), where they are written.
std::vector<MemberReference> member_references(const ConfigReader& r) {
    std::vector<MemberReference> members;
    const auto* node = r.raw().get("proxies");
    if (const auto* text = node ? node->as_string() : nullptr)
        members.push_back({text->get(), r.key_path("proxies"), node});
    const auto* array = node ? node->as_array() : nullptr;
    for (std::size_t i = 0; array && i < array->size(); ++i) {
        const auto* text = array->get(i)->as_string();
        if (!text || std::any_of(members.begin(), members.end(),
                                 [&](const auto& m) { return m.name == text->get(); }))
            continue;
        members.push_back(
            {text->get(), r.key_path("proxies") + "[" + std::to_string(i) + "]", array->get(i)});
    }
    return members;
}

class GroupSectionsReader {
  public:
    GroupSectionsReader(ConfigReader& top, DeclaredNames& names, Config& config)
        : top_(top), names_(names), config_(config) {}

    void read(const std::vector<const toml::table*>& tables) {
        for (std::size_t i = 0; i < tables.size(); ++i) read_group(*tables[i], i);
        check_members();
        check_cycles();
    }

  private:
    void read_group(const toml::table& table, std::size_t index) {
        ConfigReader r(table, "groups[" + std::to_string(index) + "]", top_.file(), top_.errors());
        GroupConfig group;
        const std::size_t errors_before = r.errors().size();
        group_section_spec().read_keys(r, group);
        names_.declare(r, table);
        if (r.read_cleanly("type", errors_before)) {
            const auto& own = group_type_spec(group.type);
            own.read_keys(r, group);
            reject_keys_of(r, own, group_type_spec(GroupType::url_test),
                           group.type == GroupType::select
                               ? "only for url-test and fallback groups (a select group does "
                                 "not probe)"
                               : "only for url-test groups");
        } else {
            skip_keys_of(r, group_type_spec(GroupType::url_test));
        }
        r.finish();
        group_members_.push_back(member_references(r));
        config_.groups.push_back(std::move(group));
    }

    std::optional<std::size_t> group_index(std::string_view name) const {
        for (std::size_t i = 0; i < config_.groups.size(); ++i)
            if (config_.groups[i].name == name) return i;
        return std::nullopt;
    }

    void check_members() {
        for (const auto& members : group_members_) {
            for (const auto& m : members) {
                const bool builtin = m.name == "DIRECT" || m.name == "REJECT";
                if (!builtin && !names_.contains(m.name))
                    top_.error(*m.node, m.key_path,
                               "unknown member \"" + m.name +
                                   "\": a group holds names from [[proxies]] or [[groups]], "
                                   "DIRECT or REJECT");
            }
        }
    }

    enum class Visit { not_yet, in_progress, done };

    // Depth-first over group -> member-group edges; an edge back to a group still in
    // progress closes a cycle, reported at the member that closes it.
    void check_cycles() {
        visits_.assign(config_.groups.size(), Visit::not_yet);
        for (std::size_t i = 0; i < config_.groups.size(); ++i)
            if (visits_[i] == Visit::not_yet) visit(i);
    }

    void visit(std::size_t group) {
        visits_[group] = Visit::in_progress;
        path_.push_back(group);
        for (const auto& member : group_members_[group]) {
            auto next = group_index(member.name);
            if (!next) continue;
            if (visits_[*next] == Visit::in_progress) {
                std::string cycle;
                auto start = std::find(path_.begin(), path_.end(), *next);
                for (auto it = start; it != path_.end(); ++it)
                    cycle += config_.groups[*it].name + " -> ";
                top_.error(*member.node, "groups", "cycle " + cycle + member.name);
            } else if (visits_[*next] == Visit::not_yet) {
                visit(*next);
            }
        }
        path_.pop_back();
        visits_[group] = Visit::done;
    }

    ConfigReader& top_;
    DeclaredNames& names_;
    Config& config_;
    std::vector<std::vector<MemberReference>> group_members_;  // parallel to groups
    std::vector<Visit> visits_;
    std::vector<std::size_t> path_;
};

}  // namespace

// http://HOST[:PORT][/PATH][?QUERY]; HOST is a name, an IPv4 address or [IPv6].
std::optional<ProbeUrl> parse_probe_url(std::string_view text, std::string& error) {
    ProbeUrl url;
    url.tls = text.substr(0, 8) == "https://";
    const std::string_view scheme = url.tls ? "https://" : "http://";
    if (text.substr(0, scheme.size()) != scheme) {
        error = "must be an http:// or https:// URL, found \"" + std::string(text) + "\"";
        return std::nullopt;
    }
    if (url.tls) url.port = 443;
    url.text = text;
    auto rest = text.substr(scheme.size());
    rest = rest.substr(0, rest.find('#'));  // a fragment is never sent
    const auto path_start = rest.find_first_of("/?");
    const auto authority = rest.substr(0, path_start);
    if (path_start != std::string_view::npos) {
        url.path = rest.substr(path_start);
        if (url.path.front() == '?') url.path.insert(0, "/");
    }
    const bool printable = std::all_of(url.path.begin(), url.path.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close != std::string_view::npos) {
            host = authority.substr(1, close - 1);
            auto after = authority.substr(close + 1);
            if (!after.empty() && after.front() == ':') port = after.substr(1);
            if (!after.empty() && after.front() != ':') host = {};
        }
        if (!IpAddress::parse(host) || IpAddress::parse(host)->is_v4()) host = {};
    } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (authority.find('@') != std::string_view::npos || host.empty() || !printable) {
        error = "expected " + std::string(scheme) + "HOST[:PORT][/PATH], found \"" +
                std::string(text) + "\"";
        return std::nullopt;
    }
    if (auto address = IpAddress::parse(host)) {
        url.host = address->to_string();
    } else if (auto name = parse_host_name(host)) {
        url.host = *name;
    } else {
        error = "\"" + std::string(host) + "\" is neither an IP address nor a host name";
        return std::nullopt;
    }
    if (authority.find(':') != std::string_view::npos && authority.front() != '[' && port.empty()) {
        port = "x";  // "host:" is a mistake, not port 80
    }
    if (!port.empty()) {
        auto parsed = parse_port(port);
        if (!parsed) {
            error = "the port must be 1..65535, found \"" + std::string(text) + "\"";
            return std::nullopt;
        }
        url.port = *parsed;
    }
    return url;
}

const SectionSpec<GroupConfig>& group_section_spec() {
    static const SectionSpec<GroupConfig> spec = make_group_spec();
    return spec;
}

const SectionSpec<GroupConfig>& group_type_spec(GroupType type) {
    static const SectionSpec<GroupConfig> select;
    static const SectionSpec<GroupConfig> url_test = make_probe_spec(true);
    static const SectionSpec<GroupConfig> fallback = make_probe_spec(false);
    switch (type) {
        case GroupType::select:
            return select;
        case GroupType::url_test:
            return url_test;
        case GroupType::fallback:
            return fallback;
    }
    return select;
}

void read_group_sections(ConfigReader& top, const std::vector<const toml::table*>& tables,
                         DeclaredNames& names, Config& config) {
    GroupSectionsReader(top, names, config).read(tables);
}

}  // namespace shunt

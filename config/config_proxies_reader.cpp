#include "config/config_proxies_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>

#include "net/domain_name.hpp"

namespace shunt {

namespace {

// DIRECT and REJECT are built-in targets; GLOBAL is the implicit selector of global mode.
constexpr std::string_view kReservedNames[] = {"DIRECT", "REJECT", "GLOBAL"};
// Keys that exist only for one type: naming the type in the error beats "unknown key".
constexpr std::string_view kSocks5OnlyKeys[] = {"username"};
constexpr std::string_view kMuxOnlyKeys[] = {
    "ca", "fingerprint", "sni", "carriers", "keepalive_interval_s", "keepalive_timeout_s"};
// What url-test and fallback groups have and select groups do not.
constexpr std::string_view kProbeKeys[] = {"url", "interval_s", "timeout_ms", "tolerance_ms"};
constexpr std::string_view kUrlTestOnlyKeys[] = {"tolerance_ms"};
constexpr std::size_t kMaxSocksCredential = 255;  // RFC 1929: one length octet

ConfigPosition position_of(const toml::node& node) {
    const auto& begin = node.source().begin;
    return {static_cast<int>(begin.line), static_cast<int>(begin.column)};
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// 64 hex digits, or 32 colon-separated pairs as `openssl x509 -fingerprint` prints them.
std::optional<CertificateFingerprint> parse_fingerprint(std::string_view text) {
    std::string digits;
    if (text.find(':') != std::string_view::npos) {
        if (text.size() != 32 * 3 - 1) return std::nullopt;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (i % 3 == 2) {
                if (text[i] != ':') return std::nullopt;
            } else {
                digits += text[i];
            }
        }
    } else {
        digits = text;
    }
    if (digits.size() != 64) return std::nullopt;
    CertificateFingerprint out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int high = hex_value(digits[2 * i]);
        const int low = hex_value(digits[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        out[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return out;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

// http://HOST[:PORT][/PATH][?QUERY]; HOST is a name, an IPv4 address or [IPv6].
std::optional<ProbeUrl> parse_probe_url(std::string_view text, std::string& error) {
    constexpr std::string_view kScheme = "http://";
    if (text.substr(0, kScheme.size()) != kScheme) {
        error =
            "must be an http:// URL (probes are plain HTTP), found \"" + std::string(text) + "\"";
        return std::nullopt;
    }
    ProbeUrl url;
    url.text = text;
    auto rest = text.substr(kScheme.size());
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
        error = "expected http://HOST[:PORT][/PATH], found \"" + std::string(text) + "\"";
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

// A group member as written, checked once every name in the file is known.
struct MemberReference {
    std::string name;
    std::string key_path;
    const toml::node* node = nullptr;
};

class ProxySectionsReader {
  public:
    ProxySectionsReader(ConfigReader& top, const std::filesystem::path& base_dir, Config& config)
        : top_(top), base_dir_(base_dir), config_(config) {}

    OutboundNames read() {
        const auto proxies = entries("proxies");
        const auto groups = entries("groups");
        for (std::size_t i = 0; i < proxies.size(); ++i) read_proxy(*proxies[i], i);
        for (std::size_t i = 0; i < groups.size(); ++i) read_group(*groups[i], i);
        check_members();
        check_cycles();
        OutboundNames names;
        for (const auto& [name, position] : declared_) names.insert(name);
        return names;
    }

  private:
    // The tables of an array of tables ([[proxies]]); anything else is reported.
    std::vector<const toml::table*> entries(std::string_view key) {
        std::vector<const toml::table*> tables;
        const auto* node = top_.node(key);
        if (!node) return tables;
        const auto* array = node->as_array();
        if (!array) {
            top_.error_at_key(key, "expected an array of tables: write each entry as [[" +
                                       std::string(key) + "]]");
            return tables;
        }
        for (std::size_t i = 0; i < array->size(); ++i) {
            if (const auto* table = array->get(i)->as_table())
                tables.push_back(table);
            else
                top_.error(*array->get(i), top_.key_path(key) + "[" + std::to_string(i) + "]",
                           "expected a table");
        }
        return tables;
    }

    // Reads and registers `name`; entries with errors are still kept (the load fails
    // anyway), so later checks see every name the user meant to declare.
    std::string read_name(ConfigReader& r, const toml::table& table) {
        auto name = r.string("name");
        if (!name) {
            if (!table.get("name")) r.error_at_key("name", "required");
            return {};
        }
        const auto& node = *table.get("name");
        const auto reserved =
            std::find(std::begin(kReservedNames), std::end(kReservedNames), *name);
        if (name->empty() || name->find_first_of(",()") != std::string::npos ||
            name->front() == ' ' || name->back() == ' ') {
            r.error(node, r.key_path("name"),
                    "must be non-empty, without commas, parentheses or surrounding spaces "
                    "(rules refer to it as TYPE,VALUE,NAME)");
        } else if (reserved != std::end(kReservedNames)) {
            r.error(node, r.key_path("name"),
                    "\"" + *name + "\" is reserved (DIRECT, REJECT and GLOBAL are built in)");
        } else if (auto it = declared_.find(*name); it != declared_.end()) {
            r.error(node, r.key_path("name"),
                    "duplicate name \"" + *name + "\": already declared at line " +
                        std::to_string(it->second.line) + " (proxies and groups share names)");
        } else {
            declared_.emplace(*name, position_of(node));
        }
        return *name;
    }

    template <typename Keys>
    void reject_keys(ConfigReader& r, const toml::table& table, const Keys& keys,
                     const std::string& why) {
        for (auto key : keys) {
            if (!table.get(key)) continue;
            r.node(key);
            r.error_at_key(key, why);
        }
    }

    void read_proxy(const toml::table& table, std::size_t index) {
        ConfigReader r(table, "proxies[" + std::to_string(index) + "]", top_.file(), top_.errors());
        ProxyConfig proxy;
        proxy.name = read_name(r, table);
        if (const auto* name = table.get("name")) proxy.position = position_of(*name);
        std::optional<ProxyType> type;
        if (auto text = r.string("type")) {
            if (*text == "socks5")
                type = ProxyType::socks5;
            else if (*text == "mux")
                type = ProxyType::mux;
            else
                r.error_at_key("type", "expected \"socks5\" or \"mux\", found \"" + *text + "\"");
        } else if (!table.get("type")) {
            r.error_at_key("type", "required: \"socks5\" or \"mux\"");
        }
        if (auto server = r.string("server")) {
            if (auto address = IpAddress::parse(*server)) {
                proxy.server = address->to_string();
                proxy.server_address = *address;
            } else if (auto host = parse_host_name(*server)) {
                proxy.server = *host;
            } else {
                r.error_at_key("server",
                               "expected an IP address or a host name, found \"" + *server + "\"");
            }
        } else if (!table.get("server")) {
            r.error_at_key("server", "required: the proxy's IP address or host name");
        }
        if (auto port = r.integer("port", 1, 65535))
            proxy.port = static_cast<std::uint16_t>(*port);
        else if (!table.get("port"))
            r.error_at_key("port", "required: 1..65535");

        if (type == ProxyType::socks5) {
            proxy.type = *type;
            read_socks5(r, proxy.socks5);
            reject_keys(r, table, kMuxOnlyKeys, "only for type = \"mux\" proxies");
        } else if (type == ProxyType::mux) {
            proxy.type = *type;
            read_mux(r, table, proxy);
            reject_keys(r, table, kSocks5OnlyKeys, "only for type = \"socks5\" proxies");
        } else {
            // Without a valid type nothing more can be checked, but typos still can.
            for (auto key : kSocks5OnlyKeys) r.node(key);
            for (auto key : kMuxOnlyKeys) r.node(key);
            r.node("password");
            r.node("udp");
        }
        r.finish();
        config_.proxies.push_back(std::move(proxy));
    }

    void read_socks5(ConfigReader& r, Socks5ProxyOptions& socks) {
        auto username = r.string("username");
        auto password = r.string("password");
        for (auto [key, value] : {std::pair{"username", &username}, {"password", &password}}) {
            if (value->has_value() && ((*value)->empty() || (*value)->size() > kMaxSocksCredential))
                r.error_at_key(key, "must be 1 to 255 bytes (RFC 1929)");
        }
        if (username.has_value() != password.has_value()) {
            const char* given = username ? "username" : "password";
            r.error_at_key(given, "username and password go together: set both or neither");
        } else if (username && password) {
            socks.username = *username;
            socks.password = *password;
        }
        if (auto udp = r.boolean("udp")) socks.udp = *udp;
    }

    void read_mux(ConfigReader& r, const toml::table& table, ProxyConfig& proxy) {
        MuxProxyOptions& mux = proxy.mux;
        if (auto password = r.string("password")) {
            if (password->empty())
                r.error_at_key("password", "must not be empty");
            else
                mux.password = *password;
        } else if (!table.get("password")) {
            r.error_at_key("password", "required: the password set in the server's [mux_server]");
        }
        if (auto ca = r.string("ca")) {
            if (ca->empty()) {
                r.error_at_key("ca", "must name a PEM file (omit it for the system trust store)");
            } else {
                mux.ca_file = resolve_config_path(base_dir_, *ca);
                if (auto why = why_unreadable(mux.ca_file); !why.empty()) {
                    r.error_at_key("ca", "cannot read \"" + mux.ca_file + "\": " + why);
                } else {
                    std::ifstream in(mux.ca_file, std::ios::binary);
                    mux.ca_pem.assign(std::istreambuf_iterator<char>(in), {});
                }
            }
        }
        if (auto fingerprint = r.string("fingerprint")) {
            mux.fingerprint = parse_fingerprint(*fingerprint);
            if (!mux.fingerprint)
                r.error_at_key("fingerprint",
                               "expected the SHA-256 of the server certificate: 64 hex digits, "
                               "or 32 pairs as AB:CD:..., found \"" +
                                   *fingerprint + "\"");
            else if (table.get("ca"))
                r.error_at_key("fingerprint", "set `ca` or `fingerprint`, not both");
        }
        if (!proxy.server_address) mux.sni = proxy.server;
        if (auto sni = r.string("sni")) {
            if (sni->empty()) {
                mux.sni.clear();  // explicitly no SNI
            } else if (auto name = parse_host_name(*sni)) {
                mux.sni = *name;
            } else {
                r.error_at_key("sni",
                               "expected a host name (TLS sends no IP addresses as SNI), "
                               "found \"" +
                                   *sni + "\"");
            }
        }
        if (auto carriers = r.integer("carriers", 1, 16))
            mux.carriers = static_cast<int>(*carriers);
        auto interval = r.integer("keepalive_interval_s", 1, 3600);
        auto timeout = r.integer("keepalive_timeout_s", 2, 86400);
        if (interval) mux.keepalive_interval = std::chrono::seconds(*interval);
        if (timeout) mux.keepalive_timeout = std::chrono::seconds(*timeout);
        if ((interval || timeout) && mux.keepalive_timeout <= mux.keepalive_interval) {
            r.error_at_key(timeout ? "keepalive_timeout_s" : "keepalive_interval_s",
                           "keepalive_timeout_s (" + std::to_string(mux.keepalive_timeout.count()) +
                               ") must be greater than keepalive_interval_s (" +
                               std::to_string(mux.keepalive_interval.count()) + ")");
        }
        if (auto udp = r.boolean("udp")) mux.udp = *udp;
    }

    void read_group(const toml::table& table, std::size_t index) {
        ConfigReader r(table, "groups[" + std::to_string(index) + "]", top_.file(), top_.errors());
        GroupConfig group;
        group.name = read_name(r, table);
        if (const auto* name = table.get("name")) group.position = position_of(*name);
        std::optional<GroupType> type;
        if (auto text = r.string("type")) {
            if (*text == "select")
                type = GroupType::select;
            else if (*text == "url-test")
                type = GroupType::url_test;
            else if (*text == "fallback")
                type = GroupType::fallback;
            else
                r.error_at_key(
                    "type",
                    "expected \"select\", \"url-test\" or \"fallback\", found \"" + *text + "\"");
        } else if (!table.get("type")) {
            r.error_at_key("type", "required: \"select\", \"url-test\" or \"fallback\"");
        }
        if (type) group.type = *type;

        std::vector<MemberReference> members;
        r.strings("proxies", [&](const std::string& value, const std::string& key_path,
                                 const toml::node& node) {
            if (std::find(group.proxies.begin(), group.proxies.end(), value) !=
                group.proxies.end()) {
                r.error(node, key_path, "\"" + value + "\" is listed twice");
                return;
            }
            group.proxies.push_back(value);
            members.push_back({value, key_path, &node});
        });
        if (!table.get("proxies"))
            r.error_at_key("proxies", "required: the names of the group's members");
        else if (const auto* array = table.get("proxies")->as_array(); array && array->empty())
            r.error_at_key("proxies", "the list is empty: a group needs at least one member");

        if (type == GroupType::select) {
            reject_keys(r, table, kProbeKeys,
                        "only for url-test and fallback groups (a select group does not probe)");
        } else if (type) {
            read_probe(r, group);
            if (type == GroupType::url_test) {
                if (auto v = r.integer("tolerance_ms", 0, 60000))
                    group.tolerance = std::chrono::milliseconds(*v);
            } else {
                reject_keys(r, table, kUrlTestOnlyKeys, "only for url-test groups");
            }
        } else {
            for (auto key : kProbeKeys) r.node(key);
        }
        r.finish();
        group_members_.push_back(std::move(members));
        config_.groups.push_back(std::move(group));
    }

    void read_probe(ConfigReader& r, GroupConfig& group) {
        if (auto text = r.string("url")) {
            std::string error;
            if (auto url = parse_probe_url(*text, error))
                group.url = std::move(*url);
            else
                r.error_at_key("url", error);
        }
        if (auto v = r.integer("interval_s", 1, 86400)) group.interval = std::chrono::seconds(*v);
        if (auto v = r.integer("timeout_ms", 1, 60000))
            group.timeout = std::chrono::milliseconds(*v);
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
                if (!builtin && !declared_.count(m.name))
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
    const std::filesystem::path& base_dir_;
    Config& config_;
    std::map<std::string, ConfigPosition, std::less<>> declared_;  // name → where
    std::vector<std::vector<MemberReference>> group_members_;      // parallel to groups
    std::vector<Visit> visits_;
    std::vector<std::size_t> path_;
};

}  // namespace

std::optional<std::string> parse_host_name(std::string_view text) {
    auto name = normalize_domain(text);
    if (!name) return std::nullopt;
    std::string_view rest = *name;
    std::string_view last;
    while (!rest.empty()) {
        const auto dot = rest.find('.');
        last = rest.substr(0, dot);
        rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
        const bool ok = std::all_of(last.begin(), last.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        });
        if (last.empty() || !ok || last.front() == '-' || last.back() == '-') return std::nullopt;
    }
    // "1.2.3.300" is a mistyped address, not a name: no top-level domain is all digits.
    if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    return name;
}

std::string why_unreadable(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return "it is a directory";
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::strerror(errno);
    return {};
}

OutboundNames read_proxy_sections(ConfigReader& top, const std::filesystem::path& base_dir,
                                  Config& config) {
    return ProxySectionsReader(top, base_dir, config).read();
}

}  // namespace shunt

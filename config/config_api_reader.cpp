#include "config/config_api_reader.hpp"

#include <system_error>

namespace shunt {

namespace {

constexpr auto applied = OnReload::applied;
constexpr auto next_start = OnReload::next_start;

// "http://router.lan:8080": what a browser sends in Origin — a scheme, a host, maybe a
// port, and nothing after it (an origin never has a path or a trailing slash).
bool valid_origin(const std::string& origin) {
    std::size_t host_start = 0;
    if (origin.rfind("http://", 0) == 0)
        host_start = 7;
    else if (origin.rfind("https://", 0) == 0)
        host_start = 8;
    else
        return false;
    const std::string_view rest = std::string_view(origin).substr(host_start);
    return !rest.empty() && rest.find_first_of("/?#@ \t") == std::string_view::npos;
}

std::string show_listen(const ApiConfig& api) {
    // Appended, not `"\"" + text`: GCC 12 at -O2 warns (-Wrestrict) about that form.
    std::string out = "\"";
    if (api.listen) out += api.listen->to_string();
    out += '"';
    return out;
}

SectionSpec<ApiConfig> make_spec() {
    using A = ApiConfig;
    SectionSpec<ApiConfig> spec;
    auto& k = spec.keys;
    k.push_back(custom_key(
        "listen", &A::listen, next_start, "ADDRESS:PORT of the HTTP API; \"\" turns it off",
        [](ConfigReader& r, A& api, const ReadContext&) {
            auto text = r.string("listen");
            if (!text) return;
            if (text->empty()) {
                api.listen.reset();
                return;
            }
            auto endpoint = Endpoint::parse(*text);
            if (!endpoint)
                r.error_at_key("listen",
                               "expected ADDRESS:PORT such as 127.0.0.1:9090, or \"\" for no "
                               "TCP listener, found \"" +
                                   *text + "\"");
            else
                api.listen = *endpoint;
        },
        show_listen));
    k.push_back(custom_key(
        "unix", &A::unix_socket, next_start, "also serve on this unix socket (mode 0660)",
        [](ConfigReader& r, A& api, const ReadContext& context) {
            auto text = r.string("unix");
            if (!text) return;
            if (text->empty()) {
                r.error_at_key("unix", "must name a socket path (leave the key out for none)");
                return;
            }
            api.unix_socket = resolve_config_path(context.base_dir, *text);
            // sockaddr_un holds 107 bytes and a NUL.
            if (api.unix_socket.size() > 107)
                r.error_at_key("unix", "the path \"" + api.unix_socket +
                                           "\" is longer than a unix socket address "
                                           "allows (107 bytes)");
        }));
    k.back().unset_default = true;
    k.push_back(custom_key(
        "secret", &A::secret, applied, "Authorization: Bearer SECRET on every request (\"\": none)",
        [](ConfigReader& r, A& api, const ReadContext&) {
            if (auto text = r.string("secret")) api.secret = *text;
        },
        // Logs never carry the secret, only whether there is one.
        [](const A& api) {
            return api.secret.empty() ? std::string("\"\"") : std::string("(set)");
        }));
    k.push_back(custom_key(
        "allow_origins", &A::allow_origins, applied,
        "origins that may call an API without a secret, such as http://router.lan:8080",
        [](ConfigReader& r, A& api, const ReadContext&) {
            r.strings("allow_origins", [&](const std::string& value, const std::string& key_path,
                                           const toml::node& node) {
                if (valid_origin(value))
                    api.allow_origins.push_back(value);
                else
                    r.error(node, key_path,
                            "expected an origin such as http://router.lan:8080 (scheme, host, "
                            "optional port, no path), found \"" +
                                value + "\"");
            });
        },
        [](const A& api) { return show_list(api.allow_origins); }));
    k.push_back(custom_key("external_ui", &A::external_ui, next_start,
                           "a dashboard's files served at /ui/ instead of the built-in one",
                           [](ConfigReader& r, A& api, const ReadContext& context) {
                               auto text = r.string("external_ui");
                               if (!text) return;
                               const auto path = resolve_config_path(context.base_dir, *text);
                               std::error_code ec;
                               if (text->empty() || !std::filesystem::is_directory(path, ec))
                                   r.error_at_key("external_ui",
                                                  "\"" + path + "\" is not a directory");
                               else
                                   api.external_ui = std::filesystem::canonical(path, ec).string();
                           }));
    k.back().unset_default = true;
    k.push_back(integer_key("max_connections", &A::max_connections, 1, 10000, next_start,
                            "API connections open at once (streams included); beyond, the "
                            "newest is closed"));
    return spec;
}

}  // namespace

const SectionSpec<ApiConfig>& api_section_spec() {
    static const SectionSpec<ApiConfig> spec = make_spec();
    return spec;
}

void read_api_section(const toml::table& table, ConfigReader& top,
                      const std::filesystem::path& base_dir, Config& config) {
    ConfigReader r(table, "api", top.file(), top.errors());
    ApiConfig api;
    api.position = position_of(table);
    const std::size_t errors_before = r.errors().size();
    api_section_spec().read_keys(r, api, {base_dir});
    // Anyone who can reach a non-loopback address could switch proxies and read every
    // connection: that needs a secret, whatever else the file says.
    if (r.errors().size() == errors_before && api.listen && !api.listen->address.is_loopback() &&
        api.secret.empty())
        r.error_at_key("secret", "required when listen (" + api.listen->to_string() +
                                     ") is not a loopback address: anyone who can reach it "
                                     "could drive shunt");
    r.finish();
    config.api = std::move(api);
}

}  // namespace shunt

#include "config/config_mux_server_reader.hpp"

#include <algorithm>

#include "config/config_proxies_reader.hpp"
#include "rules/parse/rule_values.hpp"

namespace shunt {

namespace {

// `shunt mux-server` reads its file at start only: nothing is applied on a reload.
constexpr auto next_start = OnReload::next_start;

// A required PEM file, relative to the config file, readable now.
KeySpec<MuxServerConfig> pem_path(std::string_view name, std::string MuxServerConfig::*member,
                                  const char* what) {
    auto read = [name, member, what](ConfigReader& r, MuxServerConfig& server,
                                     const ReadContext& context) {
        auto value = r.string(name);
        if (!value) {
            if (!r.raw().get(name)) r.error_at_key(name, std::string("required: ") + what);
            return;
        }
        if (value->empty()) {
            r.error_at_key(name, std::string("must name ") + what);
            return;
        }
        auto path = resolve_config_path(context.base_dir, *value);
        if (auto why = why_unreadable(path); !why.empty())
            r.error_at_key(name, "cannot read \"" + path + "\": " + why);
        server.*member = path;
    };
    auto key = custom_key(name, member, next_start, what, read);
    key.required = true;
    return key;
}

SectionSpec<MuxServerConfig> make_spec() {
    using S = MuxServerConfig;
    SectionSpec<MuxServerConfig> spec;
    auto& k = spec.keys;
    k.push_back(custom_key(
        "listen", &S::listen, next_start, "ADDRESS:PORT endpoints carriers are accepted on",
        [](ConfigReader& r, S& server, const ReadContext&) {
            r.strings("listen", [&](const std::string& value, const std::string& key_path,
                                    const toml::node& node) {
                auto endpoint = Endpoint::parse(value);
                if (endpoint && endpoint->port != 0)
                    server.listen.push_back(*endpoint);
                else
                    r.error(node, key_path,
                            "expected ADDRESS:PORT such as 0.0.0.0:443 or [::]:443, found \"" +
                                value + "\"");
            });
            if (const auto* listen = r.raw().get("listen"); !listen)
                r.error_at_key("listen",
                               "required: the ADDRESS:PORT endpoints to accept carriers on");
            else if (listen->is_array() && listen->as_array()->empty())
                r.error_at_key("listen", "the list is empty: at least one endpoint is needed");
        },
        [](const S& server) {
            return show_list(server.listen, [](const Endpoint& e) { return e.to_string(); });
        }));
    k.back().required = true;
    k.push_back(custom_key("password", &S::password, next_start, "what clients must prove",
                           [](ConfigReader& r, S& server, const ReadContext&) {
                               if (auto password = r.string("password")) {
                                   if (password->empty())
                                       r.error_at_key("password", "must not be empty");
                                   else
                                       server.password = *password;
                               } else if (!r.raw().get("password")) {
                                   r.error_at_key("password",
                                                  "required: the password clients prove");
                               }
                           }));
    k.back().required = true;
    k.push_back(pem_path("cert", &S::cert_file, "the server certificate (PEM)"));
    k.push_back(pem_path("key", &S::key_file, "the certificate's private key (PEM)"));
    k.push_back(integer_key("connect_timeout_ms", &S::connect_timeout, 100, 120000, next_start,
                            "deadline for opening one target"));
    // Stream ids are 16 bits: a carrier cannot hold more than 65535 streams.
    k.push_back(integer_key("max_streams_per_carrier", &S::max_streams_per_carrier, 1, 65535,
                            next_start, "streams open at once on one carrier"));
    k.push_back(integer_key("max_carriers", &S::max_carriers, 1, 100000, next_start,
                            "carriers accepted at once across all clients"));
    k.push_back(integer_key("keepalive_interval_s", &S::keepalive_interval, 1, 3600, next_start,
                            "a PING on every carrier this often"));
    k.push_back(integer_key("keepalive_timeout_s", &S::keepalive_timeout, 2, 86400, next_start,
                            "a carrier silent this long is closed"));
    k.push_back(boolean_key("allow_private_targets", &S::allow_private_targets, next_start,
                            "let clients reach loopback, private and link-local addresses"));
    k.push_back(custom_key(
        "deny_targets", &S::deny_targets, next_start, "addresses or prefixes refused on top",
        [](ConfigReader& r, S& server, const ReadContext&) {
            r.strings("deny_targets", [&](const std::string& value, const std::string& key_path,
                                          const toml::node& node) {
                if (auto prefix = rules::parse_cidr(value))
                    server.deny_targets.push_back(*prefix);
                else
                    r.error(node, key_path,
                            "expected an address or CIDR such as 203.0.113.0/24 or "
                            "2001:db8::/32, found \"" +
                                value + "\"");
            });
        },
        [](const S& server) {
            return show_list(server.deny_targets, [](const Prefix& p) { return p.to_string(); });
        }));
    return spec;
}

}  // namespace

const SectionSpec<MuxServerConfig>& mux_server_section_spec() {
    static const SectionSpec<MuxServerConfig> spec = make_spec();
    return spec;
}

void read_mux_server_section(const toml::table& table, ConfigReader& top,
                             const std::filesystem::path& base_dir, Config& config) {
    ConfigReader r(table, "mux_server", top.file(), top.errors());
    MuxServerConfig server;
    server.position = position_of(table);
    const std::size_t errors_before = r.errors().size();
    mux_server_section_spec().read(r, server, {base_dir});
    const bool keepalive_read = std::none_of(
        r.errors().begin() + static_cast<std::ptrdiff_t>(errors_before), r.errors().end(),
        [](const ConfigError& e) { return e.key.rfind("mux_server.keepalive_", 0) == 0; });
    // A server that pings as often as it gives up would close carriers that are fine.
    if (keepalive_read && server.keepalive_timeout <= server.keepalive_interval) {
        const bool timeout_written = table.get("keepalive_timeout_s") != nullptr;
        r.error_at_key(timeout_written ? "keepalive_timeout_s" : "keepalive_interval_s",
                       "keepalive_timeout_s (" + std::to_string(server.keepalive_timeout.count()) +
                           " s) must be longer than keepalive_interval_s (" +
                           std::to_string(server.keepalive_interval.count()) + " s)");
    }
    config.mux_server = std::move(server);
}

}  // namespace shunt

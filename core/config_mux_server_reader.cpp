#include "core/config_mux_server_reader.hpp"

#include "core/config_proxies_reader.hpp"
#include "rules/parse/rule_values.hpp"

namespace shunt {

namespace {

ConfigPosition position_of(const toml::node& node) {
    const auto& begin = node.source().begin;
    return {static_cast<int>(begin.line), static_cast<int>(begin.column)};
}

std::string read_pem_path(ConfigReader& r, const toml::table& table,
                          const std::filesystem::path& base_dir, std::string_view key,
                          const char* what) {
    auto value = r.string(key);
    if (!value) {
        if (!table.get(key)) r.error_at_key(key, std::string("required: ") + what);
        return {};
    }
    if (value->empty()) {
        r.error_at_key(key, std::string("must name ") + what);
        return {};
    }
    auto path = resolve_config_path(base_dir, *value);
    if (auto why = why_unreadable(path); !why.empty())
        r.error_at_key(key, "cannot read \"" + path + "\": " + why);
    return path;
}

}  // namespace

void read_mux_server_section(const toml::table& table, ConfigReader& top,
                             const std::filesystem::path& base_dir, Config& config) {
    ConfigReader r(table, "mux_server", top.file(), top.errors());
    MuxServerConfig server;
    server.position = position_of(table);
    r.strings("listen",
              [&](const std::string& value, const std::string& key_path, const toml::node& node) {
                  auto endpoint = Endpoint::parse(value);
                  if (endpoint && endpoint->port != 0)
                      server.listen.push_back(*endpoint);
                  else
                      r.error(node, key_path,
                              "expected ADDRESS:PORT such as 0.0.0.0:443 or [::]:443, found \"" +
                                  value + "\"");
              });
    if (const auto* listen = table.get("listen"); !listen)
        r.error_at_key("listen", "required: the ADDRESS:PORT endpoints to accept carriers on");
    else if (listen->is_array() && listen->as_array()->empty())
        r.error_at_key("listen", "the list is empty: at least one endpoint is needed");

    if (auto password = r.string("password")) {
        if (password->empty())
            r.error_at_key("password", "must not be empty");
        else
            server.password = *password;
    } else if (!table.get("password")) {
        r.error_at_key("password", "required: the password clients prove");
    }
    server.cert_file = read_pem_path(r, table, base_dir, "cert", "the server certificate (PEM)");
    server.key_file =
        read_pem_path(r, table, base_dir, "key", "the certificate's private key (PEM)");
    if (auto v = r.integer("connect_timeout_ms", 100, 120000))
        server.connect_timeout = std::chrono::milliseconds(*v);
    // Stream ids are 16 bits: a carrier cannot hold more than 65535 streams.
    if (auto v = r.integer("max_streams_per_carrier", 1, 65535))
        server.max_streams_per_carrier = static_cast<std::size_t>(*v);
    if (auto v = r.integer("max_carriers", 1, 100000))
        server.max_carriers = static_cast<std::size_t>(*v);
    if (auto v = r.boolean("allow_private_targets")) server.allow_private_targets = *v;
    r.strings("deny_targets",
              [&](const std::string& value, const std::string& key_path, const toml::node& node) {
                  if (auto prefix = rules::parse_cidr(value))
                      server.deny_targets.push_back(*prefix);
                  else
                      r.error(node, key_path,
                              "expected an address or CIDR such as 203.0.113.0/24 or "
                              "2001:db8::/32, found \"" +
                                  value + "\"");
              });
    r.finish();
    config.mux_server = std::move(server);
}

}  // namespace shunt

#include "config/config_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/config_mux_server_reader.hpp"
#include "config/config_proxies_reader.hpp"
#include "config/config_rules_reader.hpp"
#include "config/config_tun_reader.hpp"
#include "net/domain_name.hpp"

namespace shunt {

namespace {

// Sections that belong to later parts of shunt. Accepting and ignoring them would be
// a silent fallback, so they are rejected with a message that says why.
constexpr std::string_view kNotYetSupported[] = {"api"};

class Loader {
  public:
    Loader(const std::string& path, std::vector<ConfigError>& errors)
        : path_(path), errors_(errors), base_dir_(std::filesystem::absolute(path).parent_path()) {}

    Config load(const toml::table& root) {
        Config config;
        config.path = path_;
        ConfigReader top(root, "", path_, errors_);
        if (const auto* log = top.table("log")) read_log(*log, config.log);
        if (const auto* dns = top.table("dns")) read_dns(*dns, config.dns);
        // Rules may come before the proxies they name: collect the names first.
        const auto outbound_names = read_proxy_sections(top, base_dir_, config);
        read_rule_sections(top, base_dir_, outbound_names, config);
        if (const auto* server = top.table("mux_server"))
            read_mux_server_section(*server, top, base_dir_, config);
        if (const auto* tun = top.table("tun"))
            read_tun_section(*tun, top, config);
        else
            config.tun.address = {config.dns.fake_ip_range.at(1),
                                  config.dns.fake_ip_range.length()};
        for (auto section : kNotYetSupported) {
            if (top.node(section))
                top.error_at_key(section, "not supported by this version of shunt yet");
        }
        top.finish();
        return config;
    }

  private:
    // Relative paths in the file are relative to the file, not to the working directory.
    std::string resolve_path(const std::string& value) const {
        return resolve_config_path(base_dir_, value);
    }

    void read_log(const toml::table& table, LogConfig& log) {
        ConfigReader r(table, "log", path_, errors_);
        log_section_spec().read(r, log);
    }

    std::vector<UpstreamSpec> read_upstreams(ConfigReader& r, std::string_view key) {
        std::vector<UpstreamSpec> specs;
        r.strings(key, [&](const std::string& value, const std::string& key_path,
                           const toml::node& node) {
            std::string error;
            if (auto spec = UpstreamSpec::parse(value, &error)) {
                specs.push_back(std::move(*spec));
            } else {
                r.error(node, key_path, error);
            }
        });
        return specs;
    }

    void read_dns(const toml::table& table, DnsConfig& dns) {
        ConfigReader r(table, "dns", path_, errors_);
        if (r.node("listen")) {
            dns.listen.clear();
            r.strings("listen", [&](const std::string& value, const std::string& key_path,
                                    const toml::node& node) {
                if (auto endpoint = Endpoint::parse(value, 53)) {
                    dns.listen.push_back(*endpoint);
                } else {
                    r.error(node, key_path,
                            "expected ADDRESS:PORT such as 127.0.0.1:1053 or [::1]:53, found \"" +
                                value + "\"");
                }
            });
        }
        if (auto mode = r.string("mode")) {
            if (*mode == "fake-ip") {
                dns.mode = DnsMode::fake_ip;
            } else if (*mode == "redir-host") {
                dns.mode = DnsMode::redir_host;
            } else {
                r.error_at_key("mode",
                               "expected \"fake-ip\" or \"redir-host\", found \"" + *mode + "\"");
            }
        }
        read_fake_ip(r, dns);
        dns.upstreams = read_upstreams(r, "upstreams");
        dns.bootstrap = read_upstreams(r, "bootstrap");
        for (const auto& b : dns.bootstrap) {
            if (b.scheme != UpstreamSpec::Scheme::udp && b.scheme != UpstreamSpec::Scheme::tcp)
                r.error_at_key("bootstrap",
                               "bootstrap upstreams must be udp:// or tcp:// addresses: " + b.text);
        }
        if (auto timeout = r.integer("upstream_timeout_ms", 100, 60000))
            dns.upstream_timeout = std::chrono::milliseconds(*timeout);
        if (auto ca = r.string("ca_file")) dns.ca_file = resolve_path(*ca);
        if (auto size = r.integer("cache_size", 0, 10'000'000))
            dns.cache_size = static_cast<std::size_t>(*size);
        if (auto size = r.integer("redir_host_memory", 1, 10'000'000))
            dns.redir_host_memory = static_cast<std::size_t>(*size);
        if (auto t = r.integer("tcp_idle_timeout_ms", 100, 600000))
            dns.tcp_idle_timeout = std::chrono::milliseconds(*t);
        if (auto n = r.integer("max_tcp_clients", 1, 100000))
            dns.max_tcp_clients = static_cast<std::size_t>(*n);
        if (auto n = r.integer("max_inflight_queries", 1, 1'000'000))
            dns.max_inflight_queries = static_cast<std::size_t>(*n);
        if (const auto* policy = r.table("nameserver_policy")) read_policy(*policy, dns);
        if (const auto* split = r.table("split")) read_split(*split, dns);
        if (const auto* hosts = r.table("hosts")) read_hosts(*hosts, dns);
        // An empty list is its own mistake; a list of bad URLs was reported entry by entry.
        if (dns.upstreams.empty() && !dns.split) {
            const auto* node = r.raw().get("upstreams");
            if (!node)
                r.error_at_key("upstreams",
                               "at least one upstream is needed (or a [dns.split] section)");
            else if (node->is_array() && node->as_array()->empty())
                r.error_at_key("upstreams", "the list is empty: at least one upstream is needed");
        }
        check_bootstrap(r, dns);
        r.finish();
    }

    void read_fake_ip(ConfigReader& r, DnsConfig& dns) {
        if (auto range = r.string("fake_ip_range")) {
            auto prefix = Prefix::parse(*range);
            if (!prefix || !prefix->base().is_v4() || prefix->length() > 30) {
                r.error_at_key(
                    "fake_ip_range",
                    "expected an IPv4 CIDR of /30 or larger such as 198.18.0.0/15, found \"" +
                        *range + "\"");
            } else {
                dns.fake_ip_range = *prefix;
            }
        }
        if (auto range = r.string("fake_ip_range6"); range && !range->empty()) {
            auto prefix = Prefix::parse(*range);
            if (!prefix || !prefix->base().is_v6() || prefix->length() > 126) {
                r.error_at_key(
                    "fake_ip_range6",
                    "expected an IPv6 CIDR of /126 or larger such as fd00:18::/64, found \"" +
                        *range + "\"");
            } else {
                dns.fake_ip_range6 = *prefix;
            }
        }
        if (auto ttl = r.integer("fake_ip_ttl", 0, 86400))
            dns.fake_ip_ttl = static_cast<std::uint32_t>(*ttl);
        if (auto store = r.string("fake_ip_store")) dns.fake_ip_store = resolve_path(*store);
        if (auto defaults = r.boolean("fake_ip_filter_default"))
            dns.fake_ip_filter_default = *defaults;
        r.strings("fake_ip_filter", [&](const std::string& value, const std::string& key_path,
                                        const toml::node& node) {
            std::string error;
            if (auto pattern = DomainPattern::parse(value, &error)) {
                dns.fake_ip_filter.push_back(std::move(*pattern));
            } else {
                r.error(node, key_path, error);
            }
        });
    }

    void read_policy(const toml::table& table, DnsConfig& dns) {
        ConfigReader r(table, "dns.nameserver_policy", path_, errors_);
        for (const auto& [key, node] : table) {
            std::string error;
            auto pattern = DomainPattern::parse(key.str(), &error);
            auto upstreams = read_upstreams(r, key.str());
            if (!pattern) {
                r.error(node, r.key_path(key.str()), error);
                continue;
            }
            if (upstreams.empty()) {
                r.error(node, r.key_path(key.str()), "needs at least one upstream");
                continue;
            }
            dns.nameserver_policy.emplace_back(std::move(*pattern), std::move(upstreams));
        }
        r.finish();
    }

    void read_split(const toml::table& table, DnsConfig& dns) {
        ConfigReader r(table, "dns.split", path_, errors_);
        DnsSplitConfig split;
        split.domestic = read_upstreams(r, "domestic");
        split.foreign = read_upstreams(r, "foreign");
        if (auto ips = r.string("domestic_ips")) split.domestic_ips = resolve_path(*ips);
        bool ok = true;
        for (auto key : {"domestic", "foreign"}) {
            if (!r.raw().get(key)) {
                r.error_at_key(key, "required: a list of upstreams");
                ok = false;
            }
        }
        if (split.domestic_ips.empty()) {
            r.error_at_key("domestic_ips",
                           "required: a file of CIDRs whose answers count as domestic");
            ok = false;
        } else if (!std::filesystem::is_regular_file(split.domestic_ips)) {
            r.error_at_key("domestic_ips", "cannot read \"" + split.domestic_ips + "\"");
            ok = false;
        }
        if (ok) dns.split = std::move(split);
        r.finish();
    }

    void read_hosts(const toml::table& table, DnsConfig& dns) {
        ConfigReader r(table, "dns.hosts", path_, errors_);
        for (const auto& [key, node] : table) {
            DnsHost host;
            auto name = normalize_domain(key.str());
            r.strings(key.str(), [&](const std::string& value, const std::string& key_path,
                                     const toml::node& element) {
                if (auto address = IpAddress::parse(value)) {
                    host.addresses.push_back(*address);
                } else {
                    r.error(element, key_path, "expected an IP address, found \"" + value + "\"");
                }
            });
            if (!name) {
                r.error(node, r.key_path(key.str()), "not a valid domain name");
                continue;
            }
            host.name = *name;
            if (!host.addresses.empty()) dns.hosts.push_back(std::move(host));
        }
        r.finish();
    }

    // tls:// and https:// upstreams written with a host name need a way to resolve it
    // that does not depend on shunt's own DNS.
    void check_bootstrap(ConfigReader& r, const DnsConfig& dns) {
        if (!dns.bootstrap.empty()) return;
        auto check = [&](const std::vector<UpstreamSpec>& specs) {
            for (const auto& spec : specs) {
                if (spec.needs_bootstrap())
                    r.error_at_key("bootstrap",
                                   "upstream " + spec.text +
                                       " names a host: list udp:// or tcp:// addresses in "
                                       "dns.bootstrap to resolve it, or write NAME@ADDRESS");
            }
        };
        check(dns.upstreams);
        for (const auto& [pattern, specs] : dns.nameserver_policy) check(specs);
        if (dns.split) {
            check(dns.split->domestic);
            check(dns.split->foreign);
        }
    }

    const std::string& path_;
    std::vector<ConfigError>& errors_;
    std::filesystem::path base_dir_;
};

}  // namespace

ConfigLoadResult parse_config(std::string_view text, const std::string& path) {
    ConfigLoadResult result;
    toml::table root;
    try {
        root = toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        result.errors.push_back({path, static_cast<int>(begin.line), static_cast<int>(begin.column),
                                 "", std::string(e.description())});
        return result;
    }
    Loader loader(path, result.errors);
    auto config = std::make_shared<Config>(loader.load(root));
    // In file order, as a user reads the file.
    std::stable_sort(result.errors.begin(), result.errors.end(), [](const auto& a, const auto& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    if (result.errors.empty()) result.config = std::move(config);
    return result;
}

ConfigLoadResult load_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ConfigLoadResult result;
        result.errors.push_back(
            {path, 0, 0, "", "cannot open the config file: " + std::string(std::strerror(errno))});
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), path);
}

const SectionSpec<LogConfig>& log_section_spec() {
    static const SectionSpec<LogConfig> spec{{enum_key(
        "level", &LogConfig::level,
        {{"trace", LogLevel::trace},
         {"debug", LogLevel::debug},
         {"info", LogLevel::info},
         {"warn", LogLevel::warn},
         {"error", LogLevel::error},
         {"off", LogLevel::off}},
        false, OnReload::applied, "how much shunt logs (-v on the command line raises it)")}};
    return spec;
}

std::string_view to_string(DnsMode mode) {
    return mode == DnsMode::fake_ip ? "fake-ip" : "redir-host";
}

std::string_view to_string(ProxyType type) {
    return type == ProxyType::socks5 ? "socks5" : "mux";
}

std::string_view to_string(GroupType type) {
    switch (type) {
        case GroupType::select:
            return "select";
        case GroupType::url_test:
            return "url-test";
        case GroupType::fallback:
            return "fallback";
    }
    return "?";
}

}  // namespace shunt

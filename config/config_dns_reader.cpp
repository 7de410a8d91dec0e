#include "config/config_dns_reader.hpp"

#include <filesystem>

#include "net/domain_name.hpp"

namespace shunt {

namespace {

constexpr auto applied = OnReload::applied;
constexpr auto next_start = OnReload::next_start;

std::vector<UpstreamSpec> read_upstreams(ConfigReader& r, std::string_view key) {
    std::vector<UpstreamSpec> specs;
    r.strings(key,
              [&](const std::string& value, const std::string& key_path, const toml::node& node) {
                  std::string error;
                  if (auto spec = UpstreamSpec::parse(value, &error)) {
                      specs.push_back(std::move(*spec));
                  } else {
                      r.error(node, key_path, error);
                  }
              });
    return specs;
}

std::string show_upstreams(const std::vector<UpstreamSpec>& specs) {
    return show_list(specs, [](const UpstreamSpec& spec) { return spec.text; });
}

void read_policy(const toml::table& table, ConfigReader& parent, DnsConfig& dns) {
    ConfigReader r(table, "dns.nameserver_policy", parent.file(), parent.errors());
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

void read_split(const toml::table& table, ConfigReader& parent, const ReadContext& context,
                DnsConfig& dns) {
    ConfigReader r(table, "dns.split", parent.file(), parent.errors());
    DnsSplitConfig split;
    split.domestic = read_upstreams(r, "domestic");
    split.foreign = read_upstreams(r, "foreign");
    if (auto ips = r.string("domestic_ips"))
        split.domestic_ips = resolve_config_path(context.base_dir, *ips);
    bool ok = true;
    for (auto key : {"domestic", "foreign"}) {
        if (!r.raw().get(key)) {
            r.error_at_key(key, "required: a list of upstreams");
            ok = false;
        }
    }
    if (split.domestic_ips.empty()) {
        r.error_at_key("domestic_ips", "required: a file of CIDRs whose answers count as domestic");
        ok = false;
    } else if (!std::filesystem::is_regular_file(split.domestic_ips)) {
        r.error_at_key("domestic_ips", "cannot read \"" + split.domestic_ips + "\"");
        ok = false;
    }
    if (ok) dns.split = std::move(split);
    r.finish();
}

void read_hosts(const toml::table& table, ConfigReader& parent, DnsConfig& dns) {
    ConfigReader r(table, "dns.hosts", parent.file(), parent.errors());
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

// tls:// and https:// upstreams written with a host name need a way to resolve it that
// does not depend on shunt's own DNS.
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

// A path relative to the config file.
KeySpec<DnsConfig> path_key(std::string_view name, std::string DnsConfig::*member,
                            OnReload on_reload, std::string_view doc) {
    return custom_key(name, member, on_reload, doc,
                      [name, member](ConfigReader& r, DnsConfig& dns, const ReadContext& context) {
                          if (auto value = r.string(name))
                              dns.*member = resolve_config_path(context.base_dir, *value);
                      });
}

SectionSpec<DnsConfig> make_spec() {
    using D = DnsConfig;
    SectionSpec<DnsConfig> spec;
    auto& k = spec.keys;
    k.push_back(custom_key(
        "listen", &D::listen, applied, "ADDRESS:PORT endpoints answered on UDP and TCP",
        [](ConfigReader& r, D& dns, const ReadContext&) {
            if (!r.node("listen")) return;
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
        },
        [](const D& dns) {
            return show_list(dns.listen, [](const Endpoint& e) { return e.to_string(); });
        }));
    k.push_back(enum_key("mode", &D::mode,
                         {{"fake-ip", DnsMode::fake_ip}, {"redir-host", DnsMode::redir_host}}, true,
                         applied, "fake-ip answers from the pool; redir-host resolves for real"));
    k.push_back(custom_key(
        "fake_ip_range", &D::fake_ip_range, next_start, "the IPv4 pool",
        [](ConfigReader& r, D& dns, const ReadContext&) {
            auto range = r.string("fake_ip_range");
            if (!range) return;
            auto prefix = Prefix::parse(*range);
            if (!prefix || !prefix->base().is_v4() || prefix->length() > 30) {
                r.error_at_key(
                    "fake_ip_range",
                    "expected an IPv4 CIDR of /30 or larger such as 198.18.0.0/15, found \"" +
                        *range + "\"");
            } else {
                dns.fake_ip_range = *prefix;
            }
        },
        [](const D& dns) { return "\"" + dns.fake_ip_range.to_string() + "\""; }));
    k.push_back(custom_key(
        "fake_ip_range6", &D::fake_ip_range6, next_start, "the IPv6 pool; \"\" for none",
        [](ConfigReader& r, D& dns, const ReadContext&) {
            auto range = r.string("fake_ip_range6");
            if (!range || range->empty()) return;
            auto prefix = Prefix::parse(*range);
            if (!prefix || !prefix->base().is_v6() || prefix->length() > 126) {
                r.error_at_key(
                    "fake_ip_range6",
                    "expected an IPv6 CIDR of /126 or larger such as fd00:18::/64, found \"" +
                        *range + "\"");
            } else {
                dns.fake_ip_range6 = *prefix;
            }
        },
        [](const D& dns) {
            return "\"" + (dns.fake_ip_range6 ? dns.fake_ip_range6->to_string() : "") + "\"";
        }));
    k.push_back(integer_key("fake_ip_ttl", &D::fake_ip_ttl, 0, 86400, applied,
                            "TTL of fake answers, seconds"));
    k.push_back(path_key("fake_ip_store", &D::fake_ip_store, next_start,
                         "where the pool persists; \"\" keeps it in memory"));
    k.push_back(boolean_key("fake_ip_filter_default", &D::fake_ip_filter_default, applied,
                            "the shipped list of names that resolve for real"));
    k.push_back(custom_key(
        "fake_ip_filter", &D::fake_ip_filter, applied, "more names that resolve for real",
        [](ConfigReader& r, D& dns, const ReadContext&) {
            r.strings("fake_ip_filter", [&](const std::string& value, const std::string& key_path,
                                            const toml::node& node) {
                std::string error;
                if (auto pattern = DomainPattern::parse(value, &error)) {
                    dns.fake_ip_filter.push_back(std::move(*pattern));
                } else {
                    r.error(node, key_path, error);
                }
            });
        }));
    k.push_back(custom_key(
        "upstreams", &D::upstreams, applied, "where names are resolved for real",
        [](ConfigReader& r, D& dns, const ReadContext&) {
            dns.upstreams = read_upstreams(r, "upstreams");
        },
        [](const D& dns) { return show_upstreams(dns.upstreams); }));
    k.back().required = true;  // unless [dns.split]: the examples show a value of their own
    k.push_back(custom_key(
        "bootstrap", &D::bootstrap, applied,
        "udp:// or tcp:// addresses that resolve upstreams' names",
        [](ConfigReader& r, D& dns, const ReadContext&) {
            dns.bootstrap = read_upstreams(r, "bootstrap");
            for (const auto& b : dns.bootstrap) {
                if (b.scheme != UpstreamSpec::Scheme::udp && b.scheme != UpstreamSpec::Scheme::tcp)
                    r.error_at_key(
                        "bootstrap",
                        "bootstrap upstreams must be udp:// or tcp:// addresses: " + b.text);
            }
        },
        [](const D& dns) { return show_upstreams(dns.bootstrap); }));
    k.push_back(integer_key("upstream_timeout_ms", &D::upstream_timeout, 100, 60000, applied,
                            "how long one upstream may take to answer"));
    k.push_back(path_key("ca_file", &D::ca_file, applied,
                         "trust anchors for tls:// and https://; \"\" the system store"));
    k.push_back(integer_key("cache_size", &D::cache_size, 0, 10'000'000, applied,
                            "answers cached, entries"));
    k.push_back(integer_key("redir_host_memory", &D::redir_host_memory, 1, 10'000'000, applied,
                            "address -> name pairs remembered in redir-host mode"));
    k.push_back(integer_key("tcp_idle_timeout_ms", &D::tcp_idle_timeout, 100, 600000, applied,
                            "a DNS-over-TCP client silent this long is closed"));
    k.push_back(integer_key("max_tcp_clients", &D::max_tcp_clients, 1, 100000, applied,
                            "DNS-over-TCP clients at once, per listener"));
    k.push_back(integer_key("max_inflight_queries", &D::max_inflight_queries, 1, 1'000'000, applied,
                            "queries waiting for upstreams at once"));
    k.push_back(custom_key("nameserver_policy", &D::nameserver_policy, applied,
                           "[dns.nameserver_policy]: names resolved by their own upstreams",
                           [](ConfigReader& r, D& dns, const ReadContext&) {
                               if (const auto* table = r.table("nameserver_policy"))
                                   read_policy(*table, r, dns);
                           }));
    k.back().table = true;
    k.push_back(custom_key("split", &D::split, applied,
                           "[dns.split]: ask domestic and foreign upstreams, keep the right one",
                           [](ConfigReader& r, D& dns, const ReadContext& context) {
                               if (const auto* table = r.table("split"))
                                   read_split(*table, r, context, dns);
                           }));
    k.back().table = true;
    k.back().required = true;  // no default to show: examples/full.toml has it commented
    k.push_back(custom_key("hosts", &D::hosts, applied, "[dns.hosts]: names with fixed addresses",
                           [](ConfigReader& r, D& dns, const ReadContext&) {
                               if (const auto* table = r.table("hosts")) read_hosts(*table, r, dns);
                           }));
    k.back().table = true;
    return spec;
}

}  // namespace

const SectionSpec<DnsConfig>& dns_section_spec() {
    static const SectionSpec<DnsConfig> spec = make_spec();
    return spec;
}

void read_dns_section(const toml::table& table, ConfigReader& top, const ReadContext& context,
                      DnsConfig& dns) {
    ConfigReader r(table, "dns", top.file(), top.errors());
    dns_section_spec().read_keys(r, dns, context);
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

}  // namespace shunt

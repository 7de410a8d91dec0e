#include "config/config_tun_reader.hpp"

#include <array>

#include <spdlog/fmt/fmt.h>

namespace shunt {

namespace {

constexpr auto applied = OnReload::applied;
constexpr auto next_start = OnReload::next_start;

// "ADDRESS/LENGTH" with a length of at least 1, in the given family.
std::optional<InterfaceAddress> parse_tun_address(std::string_view text, bool v4) {
    if (text.find('/') == std::string_view::npos) return std::nullopt;
    auto parsed = InterfaceAddress::parse(text);
    if (!parsed || parsed->prefix_length < 1 || parsed->address.is_v4() != v4) return std::nullopt;
    return parsed;
}

std::string show_interface_name(const std::string& name) {
    return "\"" + name + "\"";
}

bool valid_interface_name(const std::string& name) {
    return !name.empty() && name.size() <= 15 && name.find_first_of("/ \t:") == std::string::npos;
}

constexpr SystemDnsMode kSystemDnsModes[] = {SystemDnsMode::automatic, SystemDnsMode::resolved,
                                             SystemDnsMode::resolv_conf, SystemDnsMode::off};

SectionSpec<TunConfig> make_spec() {
    using T = TunConfig;
    SectionSpec<TunConfig> spec;
    auto& k = spec.keys;
    k.push_back(boolean_key("enable", &T::enable, next_start, "the TUN device and its routes"));
    k.push_back(custom_key(
        "name", &T::name, next_start, "interface name, at most 15 characters",
        [](ConfigReader& r, T& tun, const ReadContext&) {
            auto name = r.string("name");
            if (!name) return;
            if (!valid_interface_name(*name))
                r.error_at_key("name",
                               "an interface name of 1 to 15 characters without '/', ':' "
                               "or spaces, found \"" +
                                   *name + "\"");
            else
                tun.name = *name;
        },
        [](const T& tun) { return show_interface_name(tun.name); }));
    k.push_back(integer_key("mtu", &T::mtu, 1280, 65535, next_start, "the device's MTU"));
    k.push_back(boolean_key("offload", &T::offload, next_start, "TUN segmentation offload"));
    auto address_key = [](std::string_view name, bool v4) {
        return [name, v4](ConfigReader& r, T& tun, const ReadContext&) {
            auto text = r.string(name);
            if (!text) return;
            auto parsed = parse_tun_address(*text, v4);
            if (!parsed) {
                r.error_at_key(name, v4 ? "expected an IPv4 address with prefix length such as "
                                          "198.18.0.1/15, found \"" +
                                              *text + "\""
                                        : "expected an IPv6 address with prefix length such as "
                                          "fd00:18::1/64, found \"" +
                                              *text + "\"");
            } else if (v4) {
                tun.address = *parsed;
            } else {
                tun.address6 = *parsed;
            }
        };
    };
    k.push_back(custom_key("address", &T::address, next_start,
                           "the device's IPv4 address (default: the first of fake_ip_range)",
                           address_key("address", true),
                           [](const T& tun) { return "\"" + tun.address.to_string() + "\""; }));
    k.back().derived_default = true;
    k.push_back(custom_key(
        "address6", &T::address6, next_start,
        "the device's IPv6 address (default: the first of fake_ip_range6, if set)",
        address_key("address6", false), [](const T& tun) {
            return tun.address6 ? "\"" + tun.address6->to_string() + "\"" : std::string("\"\"");
        }));
    k.back().derived_default = true;
    k.push_back(boolean_key("auto_route", &T::auto_route, next_start,
                            "route all traffic into the device, not only the fake-IP ranges"));
    k.push_back(integer_key("routing_mark", &T::routing_mark, 1, 0xffffffffLL, next_start,
                            "the mark on shunt's own sockets, so they bypass the device"));
    k.back().show = [](const T& tun) { return fmt::format("{:#x}", tun.routing_mark); };
    k.push_back(integer_key("table", &T::table, 1, 0xfffffffeLL, next_start,
                            "the routing table auto_route fills"));
    k.push_back(integer_key("rule_priority", &T::rule_priority, 1, 32000, next_start,
                            "the priority of shunt's ip rules"));
    k.push_back(custom_key(
        "dns_hijack", &T::dns_hijack, applied,
        "DNS to these ADDRESS:PORT (any:PORT) in the device is answered by shunt",
        [](ConfigReader& r, T& tun, const ReadContext&) {
            r.strings("dns_hijack", [&](const std::string& value, const std::string& key_path,
                                        const toml::node& node) {
                // "any:53" means every address (both families).
                if (value.rfind("any:", 0) == 0) {
                    if (auto v4 = Endpoint::parse("0.0.0.0:" + value.substr(4))) {
                        tun.dns_hijack.push_back(*v4);
                        tun.dns_hijack.push_back(*Endpoint::parse("[::]:" + value.substr(4)));
                        return;
                    }
                } else if (auto endpoint = Endpoint::parse(value, 53)) {
                    tun.dns_hijack.push_back(*endpoint);
                    return;
                }
                r.error(
                    node, key_path,
                    "expected ADDRESS:PORT or any:PORT such as any:53, found \"" + value + "\"");
            });
        },
        [](const T& tun) {
            return show_list(tun.dns_hijack, [](const Endpoint& e) { return e.to_string(); });
        }));
    std::vector<std::pair<std::string_view, SystemDnsMode>> system_dns_names;
    for (auto mode : kSystemDnsModes) system_dns_names.emplace_back(system_dns_name(mode), mode);
    k.push_back(enum_key("system_dns", &T::system_dns, std::move(system_dns_names), true,
                         next_start,
                         "point the system's resolver at shunt while the device is up"));
    k.push_back(custom_key(
        "lan_interfaces", &T::lan_interfaces, next_start,
        "traffic forwarded from these interfaces enters the device too",
        [](ConfigReader& r, T& tun, const ReadContext&) {
            r.strings("lan_interfaces", [&](const std::string& value, const std::string& key_path,
                                            const toml::node& node) {
                if (value.empty() || value.size() > 15)
                    r.error(node, key_path, "an interface name of 1 to 15 characters");
                else
                    tun.lan_interfaces.push_back(value);
            });
        },
        [](const T& tun) { return show_list(tun.lan_interfaces); }));
    k.push_back(integer_key("max_tcp_flows", &T::max_tcp_flows, 1, 1'000'000, applied,
                            "concurrent TCP flows; beyond, new connections get an RST"));
    k.push_back(integer_key("max_half_open", &T::max_half_open, 1, 255, applied,
                            "handshakes in progress; beyond, new attempts get an RST"));
    k.push_back(integer_key("max_udp_sessions", &T::max_udp_sessions, 1, 1'000'000, applied,
                            "UDP sessions; beyond, the least recently used is closed"));
    k.push_back(integer_key("tcp_idle_timeout_s", &T::tcp_idle_timeout, 1, 86400, applied,
                            "a TCP flow with no byte either way this long is closed (a reload: "
                            "flows opened from then on)"));
    k.push_back(integer_key("udp_idle_timeout_s", &T::udp_idle_timeout, 1, 86400, applied,
                            "a UDP session with no datagram either way this long is closed"));
    k.push_back(integer_key("connect_timeout_ms", &T::connect_timeout, 100, 120000, applied,
                            "how long an outbound may take to connect"));
    return spec;
}

// The first address after the network address: the pool never hands it out.
InterfaceAddress first_address_of(const Prefix& range) {
    return {range.at(1), range.length()};
}

IpAddress unspecified(bool v4) {
    return v4 ? IpAddress::from_v4(0) : IpAddress::from_v6({});
}

IpAddress loopback(bool v4) {
    std::array<std::uint8_t, 16> v6_loopback{};
    v6_loopback[15] = 1;
    return v4 ? IpAddress::from_v4(0x7f000001) : IpAddress::from_v6(v6_loopback);
}

std::string show_endpoints(const std::vector<Endpoint>& endpoints) {
    std::string text;
    for (const auto& e : endpoints) text += (text.empty() ? "" : ", ") + e.to_string();
    return text.empty() ? "nothing" : text;
}

}  // namespace

const char* system_dns_name(SystemDnsMode mode) {
    switch (mode) {
        case SystemDnsMode::automatic:
            return "auto";
        case SystemDnsMode::resolved:
            return "resolved";
        case SystemDnsMode::resolv_conf:
            return "resolv.conf";
        case SystemDnsMode::off:
            return "off";
    }
    return "?";
}

std::optional<Endpoint> system_dns_server(const DnsConfig& dns, bool port_53_only) {
    for (const auto& listen : dns.listen) {
        if (port_53_only && listen.port != 53) continue;
        if (listen.address.is_loopback()) return listen;
        if (listen.address == unspecified(listen.address.is_v4()))
            return Endpoint{loopback(listen.address.is_v4()), listen.port};
    }
    if (!port_53_only && !dns.listen.empty()) return dns.listen.front();
    return std::nullopt;
}

const SectionSpec<TunConfig>& tun_section_spec() {
    static const SectionSpec<TunConfig> spec = make_spec();
    return spec;
}

void read_tun_section(const toml::table& table, ConfigReader& top, Config& config) {
    ConfigReader r(table, "tun", top.file(), top.errors());
    TunConfig& tun = config.tun;
    tun.address = first_address_of(config.dns.fake_ip_range);
    if (config.dns.fake_ip_range6) tun.address6 = first_address_of(*config.dns.fake_ip_range6);
    const InterfaceAddress default_address = tun.address;
    const std::optional<InterfaceAddress> default_address6 = tun.address6;
    tun_section_spec().read(r, tun);
    // Checks that need [dns]: the addresses sit inside the fake-IP ranges.
    if (!config.dns.fake_ip_range.contains(tun.address.address)) {
        r.error_at_key("address", "must be inside dns.fake_ip_range (" +
                                      config.dns.fake_ip_range.to_string() + ")");
        tun.address = default_address;
    }
    if (tun.address6 && (!config.dns.fake_ip_range6 ||
                         !config.dns.fake_ip_range6->contains(tun.address6->address))) {
        r.error_at_key("address6", "must be inside dns.fake_ip_range6");
        tun.address6 = default_address6;
    }
    if (tun.enable && tun.system_dns == SystemDnsMode::resolv_conf &&
        !system_dns_server(config.dns, true)) {
        r.error_at_key("system_dns",
                       "\"resolv.conf\" needs shunt's DNS on port 53 of a loopback address "
                       "(/etc/resolv.conf cannot name a port): add \"127.0.0.1:53\" to "
                       "dns.listen (it listens on " +
                           show_endpoints(config.dns.listen) +
                           "), or use \"resolved\" where systemd-resolved runs");
    }
    if (tun.enable && tun.system_dns == SystemDnsMode::resolved && config.dns.listen.empty())
        r.error_at_key("system_dns", "\"resolved\" needs a dns.listen address to point at");
}

}  // namespace shunt

#include "core/config_tun_reader.hpp"

#include <charconv>

namespace shunt {

namespace {

std::optional<TunAddress> parse_tun_address(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    int length = -1;
    const auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    const int max = address->is_v4() ? 32 : 128;
    if (ec != std::errc{} || end != digits.data() + digits.size() || length < 1 || length > max)
        return std::nullopt;
    return TunAddress{*address, length};
}

// The first address after the network address: the pool never hands it out.
TunAddress first_address_of(const Prefix& range) {
    return {range.at(1), range.length()};
}

}  // namespace

void read_tun_section(const toml::table& table, ConfigReader& top, Config& config) {
    ConfigReader r(table, "tun", top.file(), top.errors());
    TunConfig& tun = config.tun;
    if (auto enable = r.boolean("enable")) tun.enable = *enable;
    if (auto name = r.string("name")) {
        if (name->empty() || name->size() > 15 || name->find_first_of("/ \t:") != std::string::npos)
            r.error_at_key("name",
                           "an interface name of 1 to 15 characters without '/', ':' "
                           "or spaces, found \"" +
                               *name + "\"");
        else
            tun.name = *name;
    }
    if (auto mtu = r.integer("mtu", 1280, 65535)) tun.mtu = static_cast<int>(*mtu);
    if (auto offload = r.boolean("offload")) tun.offload = *offload;

    tun.address = first_address_of(config.dns.fake_ip_range);
    if (auto text = r.string("address")) {
        auto parsed = parse_tun_address(*text);
        if (!parsed || !parsed->address.is_v4())
            r.error_at_key("address",
                           "expected an IPv4 address with prefix length such as "
                           "198.18.0.1/15, found \"" +
                               *text + "\"");
        else if (!config.dns.fake_ip_range.contains(parsed->address))
            r.error_at_key("address", "must be inside dns.fake_ip_range (" +
                                          config.dns.fake_ip_range.to_string() + ")");
        else
            tun.address = *parsed;
    }
    if (config.dns.fake_ip_range6) tun.address6 = first_address_of(*config.dns.fake_ip_range6);
    if (auto text = r.string("address6")) {
        auto parsed = parse_tun_address(*text);
        if (!parsed || parsed->address.is_v4())
            r.error_at_key("address6",
                           "expected an IPv6 address with prefix length such as "
                           "fd00:18::1/64, found \"" +
                               *text + "\"");
        else if (!config.dns.fake_ip_range6 ||
                 !config.dns.fake_ip_range6->contains(parsed->address))
            r.error_at_key("address6", "must be inside dns.fake_ip_range6");
        else
            tun.address6 = *parsed;
    }
    if (auto v = r.boolean("auto_route")) tun.auto_route = *v;
    if (auto v = r.integer("routing_mark", 1, 0xffffffffLL))
        tun.routing_mark = static_cast<std::uint32_t>(*v);
    if (auto v = r.integer("table", 1, 0xfffffffeLL)) tun.table = static_cast<std::uint32_t>(*v);
    if (auto v = r.integer("rule_priority", 1, 32000))
        tun.rule_priority = static_cast<std::uint32_t>(*v);
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
        r.error(node, key_path,
                "expected ADDRESS:PORT or any:PORT such as any:53, found \"" + value + "\"");
    });
    r.strings("lan_interfaces",
              [&](const std::string& value, const std::string& key_path, const toml::node& node) {
                  if (value.empty() || value.size() > 15)
                      r.error(node, key_path, "an interface name of 1 to 15 characters");
                  else
                      tun.lan_interfaces.push_back(value);
              });
    if (auto v = r.integer("max_tcp_flows", 1, 1'000'000))
        tun.max_tcp_flows = static_cast<std::size_t>(*v);
    if (auto v = r.integer("max_half_open", 1, 255))
        tun.max_half_open = static_cast<std::size_t>(*v);
    if (auto v = r.integer("max_udp_sessions", 1, 1'000'000))
        tun.max_udp_sessions = static_cast<std::size_t>(*v);
    if (auto v = r.integer("tcp_idle_timeout_s", 1, 86400))
        tun.tcp_idle_timeout = std::chrono::seconds(*v);
    if (auto v = r.integer("udp_idle_timeout_s", 1, 86400))
        tun.udp_idle_timeout = std::chrono::seconds(*v);
    if (auto v = r.integer("connect_timeout_ms", 100, 120000))
        tun.connect_timeout = std::chrono::milliseconds(*v);
    r.finish();
}

}  // namespace shunt

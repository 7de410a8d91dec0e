#include "config/config_ebpf_reader.hpp"

#include <algorithm>

namespace shunt {

namespace {

constexpr auto next_start = OnReload::next_start;
constexpr std::size_t kMaxHijackPorts = 8;  // SHUNT_BYPASS_HIJACK_PORTS in the program

SectionSpec<EbpfConfig> make_spec() {
    using E = EbpfConfig;
    SectionSpec<EbpfConfig> spec;
    auto& k = spec.keys;
    k.push_back(boolean_key("enable", &E::enable, next_start,
                            "direct traffic bypasses the TUN (router: tun.lan_interfaces; "
                            "desktop: tun.auto_route)"));
    k.push_back(boolean_key("required", &E::required, next_start,
                            "no eBPF (capability, kernel, load failure) stops the start instead "
                            "of running without it"));
    k.push_back(integer_key("flow_table_size", &E::flow_table_size, 1024, 4194304, next_start,
                            "flows the router's program remembers, each keeping its first path "
                            "(about 120 bytes of kernel memory each)"));
    k.push_back(custom_key(
        "cgroup", &E::cgroup, next_start,
        "cgroup v2 directory whose sockets the desktop hooks mark (and its descendants); \"\": "
        "the root of the cgroup2 mount",
        [](ConfigReader& r, E& ebpf, const ReadContext&) {
            auto text = r.string("cgroup");
            if (!text) return;
            if (!text->empty() && text->front() != '/')
                r.error_at_key("cgroup",
                               "expected an absolute path such as /sys/fs/cgroup, "
                               "or \"\" for the cgroup2 mount, found \"" +
                                   *text + "\"");
            else
                ebpf.cgroup = *text;
        },
        [](const E& ebpf) { return "\"" + ebpf.cgroup + "\""; }));
    return spec;
}

}  // namespace

const SectionSpec<EbpfConfig>& ebpf_section_spec() {
    static const SectionSpec<EbpfConfig> spec = make_spec();
    return spec;
}

std::vector<std::uint16_t> ebpf_hijack_ports(const TunConfig& tun) {
    std::vector<std::uint16_t> ports;
    for (const Endpoint& e : tun.dns_hijack) {
        if (e.address.is_unspecified() &&
            std::find(ports.begin(), ports.end(), e.port) == ports.end())
            ports.push_back(e.port);
    }
    return ports;
}

void read_ebpf_section(const toml::table& table, ConfigReader& top, Config& config) {
    ConfigReader r(table, "ebpf", top.file(), top.errors());
    EbpfConfig& ebpf = config.ebpf;
    ebpf_section_spec().read(r, ebpf);
    ebpf.position = position_of(table);
    if (!ebpf.enable) return;
    const TunConfig& tun = config.tun;
    if (!tun.enable) {
        r.error_at_key("enable", "the bypass works beside the TUN: set [tun] enable = true");
    } else if (tun.lan_interfaces.empty() && !tun.auto_route) {
        r.error_at_key("enable",
                       "nothing to attach to: set [tun] lan_interfaces (a router's LAN "
                       "devices) or [tun] auto_route = true (this machine's own traffic)");
    }
    if (ebpf_hijack_ports(tun).size() > kMaxHijackPorts)
        r.error_at_key("enable",
                       "the program guards at most 8 DNS hijack ports of any "
                       "address; tun.dns_hijack has more");
}

}  // namespace shunt

// A value other than the running one for every [tun] key, as TOML (enable: a running
// device is turned off): the reload tests change each key to it. Valid with the default
// fake_ip_range and fake_ip_range6 = "fd00:18::/64".
#pragma once

#include <map>
#include <string>

namespace shunt::test {

inline const std::map<std::string, std::string>& changed_tun_values() {
    static const std::map<std::string, std::string> values = {
        {"enable", "false"},
        {"name", "\"shunt-e2e1\""},
        {"mtu", "1500"},
        {"offload", "false"},
        {"address", "\"198.18.0.2/15\""},
        {"address6", "\"fd00:18::2/64\""},
        {"auto_route", "true"},
        {"routing_mark", "0x163"},
        {"table", "2023"},
        {"rule_priority", "9001"},
        {"dns_hijack", "[\"any:53\"]"},
        {"system_dns", "\"resolved\""},
        {"lan_interfaces", "[\"lo\"]"},
        {"max_tcp_flows", "100"},
        {"max_half_open", "10"},
        {"max_udp_sessions", "100"},
        {"tcp_idle_timeout_s", "30"},
        {"udp_idle_timeout_s", "30"},
        {"connect_timeout_ms", "5000"},
    };
    return values;
}

}  // namespace shunt::test

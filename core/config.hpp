// The validated, immutable configuration. Built only by load_config() (config_loader.hpp)
// from the user's TOML file; every default lives here and is documented in
// examples/full.toml. Shared as std::shared_ptr<const Config>: a reload builds a new one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/domain_pattern.hpp"
#include "core/ip_address.hpp"
#include "core/upstream_spec.hpp"

namespace shunt {

enum class LogLevel { trace, debug, info, warn, error, off };
enum class DnsMode { fake_ip, redir_host };

struct LogConfig {
    LogLevel level = LogLevel::info;
};

// Ask both groups; keep the domestic answer when its addresses are in the IP set.
struct DnsSplitConfig {
    std::vector<UpstreamSpec> domestic;
    std::vector<UpstreamSpec> foreign;
    std::string domestic_ips;  // path of a CIDR list file
};

struct DnsHost {
    std::string name;  // normalised
    std::vector<IpAddress> addresses;
};

struct DnsConfig {
    std::vector<Endpoint> listen{*Endpoint::parse("127.0.0.1:1053")};
    DnsMode mode = DnsMode::fake_ip;
    Prefix fake_ip_range = *Prefix::parse("198.18.0.0/15");
    std::optional<Prefix> fake_ip_range6;
    std::uint32_t fake_ip_ttl = 1;
    std::string fake_ip_store = "/var/lib/shunt/fakeip.db";  // "" keeps the pool in memory
    bool fake_ip_filter_default = true;                      // include the shipped list
    std::vector<DomainPattern> fake_ip_filter;               // the user's own entries
    std::vector<UpstreamSpec> upstreams;
    std::vector<std::pair<DomainPattern, std::vector<UpstreamSpec>>> nameserver_policy;
    std::vector<UpstreamSpec> bootstrap;
    std::optional<DnsSplitConfig> split;
    std::vector<DnsHost> hosts;
    std::chrono::milliseconds upstream_timeout{3000};
    std::string ca_file;  // "" uses the system trust store
    std::size_t cache_size = 4096;
    std::size_t redir_host_memory = 65536;  // IP → name pairs remembered in redir-host mode
    std::chrono::milliseconds tcp_idle_timeout{10000};
    std::size_t max_tcp_clients = 512;
    std::size_t max_inflight_queries = 4096;
};

struct Config {
    std::string path;  // the file it was loaded from
    LogConfig log;
    DnsConfig dns;
};

std::string_view to_string(LogLevel level);
std::string_view to_string(DnsMode mode);

}  // namespace shunt

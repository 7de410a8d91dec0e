// The validated, immutable configuration. Built only by load_config() (config_loader.hpp)
// from the user's TOML file; every default lives here and is documented in
// examples/full.toml. Shared as std::shared_ptr<const Config>: a reload builds a new one.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/logging.hpp"
#include "config/upstream_spec.hpp"
#include "net/connect_timeout.hpp"
#include "net/domain_pattern.hpp"
#include "net/interface_address.hpp"
#include "net/ip_address.hpp"
#include "rules/parse/mode.hpp"
#include "rules/parse/rule_set_file.hpp"
#include "rules/parse/rule_spec.hpp"

namespace shunt {

enum class DnsMode { fake_ip, redir_host };

// How `shunt run` points the system's resolver at its DNS while the TUN device is up
// (docs/system-dns.md): systemd-resolved's per-link settings, a rewritten /etc/resolv.conf,
// whichever of the two the machine has (automatic), or not at all.
enum class SystemDnsMode : std::uint8_t { automatic, resolved, resolv_conf, off };

struct LogConfig {
    LogLevel level = LogLevel::info;
    friend bool operator==(const LogConfig&, const LogConfig&) = default;
};

// Ask both groups; keep the domestic answer when its addresses are in the IP set.
struct DnsSplitConfig {
    std::vector<UpstreamSpec> domestic;
    std::vector<UpstreamSpec> foreign;
    std::string domestic_ips;  // path of a CIDR list file
    friend bool operator==(const DnsSplitConfig&, const DnsSplitConfig&) = default;
};

struct DnsHost {
    std::string name;  // normalised
    std::vector<IpAddress> addresses;
    friend bool operator==(const DnsHost&, const DnsHost&) = default;
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
    friend bool operator==(const DnsConfig&, const DnsConfig&) = default;
};

// Where a key was written, so errors found after loading (an unreadable rule-set file, a
// bad GeoIP database) still point at the line to fix.
struct ConfigPosition {
    int line = 0;
    int column = 0;

    // Where something is written is not a setting: two sections that differ only in their
    // place in the file compare equal (a reordered file changes nothing on reload).
    friend bool operator==(const ConfigPosition&, const ConfigPosition&) { return true; }
};

// [rule_sets.NAME]: a Clash rule-set file. Read when the rules are built, not kept here:
// a million-entry set should not live twice in memory.
struct RuleSetConfig {
    std::string name;
    std::string path;  // absolute (relative paths are resolved against the config file)
    rules::RuleSetBehavior behavior = rules::RuleSetBehavior::domain;
    ConfigPosition position;  // of `path`
    friend bool operator==(const RuleSetConfig&, const RuleSetConfig&) = default;
};

// [geoip]: the MaxMind country database GEOIP rules consult (GEOIP,LAN needs none).
struct GeoipConfig {
    std::string database;  // "" when not configured
    ConfigPosition position;
    friend bool operator==(const GeoipConfig&, const GeoipConfig&) = default;
};

// [tun]: the TUN device, its routes, and the netstack behind it (docs/routing.md,
// docs/netstack.md).
struct TunConfig {
    bool enable = false;
    std::string name = "shunt0";
    int mtu = 9000;
    bool offload = true;  // TUN segmentation offload (virtio-net header, TSO)
    // The device's own addresses: inside the fake-IP ranges (the pool never hands out
    // the first address of its range, which is what the defaults use).
    InterfaceAddress address;                  // default: first address of fake_ip_range
    std::optional<InterfaceAddress> address6;  // default: first address of fake_ip_range6 if set
    bool auto_route = false;
    std::uint32_t routing_mark = 0x162;
    std::uint32_t table = 2022;
    std::uint32_t rule_priority = 9000;
    std::vector<Endpoint> dns_hijack;  // "any:53" is 0.0.0.0:53 and [::]:53
    SystemDnsMode system_dns = SystemDnsMode::automatic;
    std::vector<std::string> lan_interfaces;
    std::size_t max_tcp_flows = 16384;
    std::size_t max_half_open = 255;  // handshakes in progress (lwIP's backlog is at most 255)
    std::size_t max_udp_sessions = 4096;
    std::chrono::seconds tcp_idle_timeout{300};
    std::chrono::seconds udp_idle_timeout{60};
    std::chrono::milliseconds connect_timeout{kDefaultConnectTimeout};
    friend bool operator==(const TunConfig&, const TunConfig&) = default;
};

// [[proxies]]: an upstream proxy that rules and groups send connections to
// (outbound/socks5, outbound/mux). Only the options struct matching `type` is filled.
enum class ProxyType { socks5, mux };

struct Socks5ProxyOptions {
    // Both empty: no authentication. Otherwise RFC 1929, 1..255 bytes each.
    std::string username;
    std::string password;
    bool udp = false;  // UDP ASSOCIATE for UDP flows; false sends UDP flows nowhere

    friend bool operator==(const Socks5ProxyOptions&, const Socks5ProxyOptions&) = default;
};

// SHA-256 of the server certificate (DER), pinned instead of a CA.
using CertificateFingerprint = std::array<std::uint8_t, 32>;

struct MuxProxyOptions {
    std::string password;  // pre-shared, non-empty
    // How the server's certificate is verified: a CA file (absolute path), or a pinned
    // fingerprint, or (both unset) the system trust store.
    std::string ca_file;
    std::string ca_pem;  // ca_file's contents when loaded: a reload sees a changed file
    std::optional<CertificateFingerprint> fingerprint;
    std::string sni;  // default: `server` when it is a name, "" for an IP address
    int carriers = 2;
    std::chrono::seconds keepalive_interval{15};
    std::chrono::seconds keepalive_timeout{45};  // always > keepalive_interval
    bool udp = true;

    friend bool operator==(const MuxProxyOptions&, const MuxProxyOptions&) = default;
};

struct ProxyConfig {
    std::string name;
    ProxyType type = ProxyType::socks5;
    std::string server;                       // an IP literal or a normalised host name
    std::optional<IpAddress> server_address;  // set when `server` is an IP literal
    std::uint16_t port = 0;
    Socks5ProxyOptions socks5;  // type == socks5
    MuxProxyOptions mux;        // type == mux
    ConfigPosition position;    // of `name`

    // The same proxy, wherever in the file it is written (ConfigPosition always equal).
    friend bool operator==(const ProxyConfig&, const ProxyConfig&) = default;
};

// The http:// or https:// URL url-test and fallback groups probe through each member,
// parsed.
struct ProbeUrl {
    std::string text;  // as written
    std::string host;  // an IP literal or a normalised host name
    std::uint16_t port = 80;
    std::string path = "/";  // with the query, if any
    bool tls = false;        // https
    friend bool operator==(const ProbeUrl&, const ProbeUrl&) = default;
};

// [[groups]]: a proxy chosen among members at runtime (outbound/group).
enum class GroupType { select, url_test, fallback };

struct GroupConfig {
    std::string name;
    GroupType type = GroupType::select;
    // Members in order: proxy names, group names, DIRECT, REJECT. Never empty; no cycles.
    std::vector<std::string> proxies;
    // url-test and fallback only (select has no probes).
    ProbeUrl url{"http://www.gstatic.com/generate_204", "www.gstatic.com", 80, "/generate_204"};
    std::chrono::seconds interval{300};
    std::chrono::milliseconds timeout{5000};
    std::chrono::milliseconds tolerance{50};  // url-test only
    ConfigPosition position;                  // of `name`

    // The same group, wherever in the file it is written (ConfigPosition always equal).
    friend bool operator==(const GroupConfig&, const GroupConfig&) = default;
};

// [mux_server]: `shunt mux-server`, what users deploy on their VPS (docs/mux.md).
struct MuxServerConfig {
    std::vector<Endpoint> listen;  // never empty
    std::string password;
    std::string cert_file;                                              // PEM, absolute path
    std::string key_file;                                               // PEM, absolute path
    std::chrono::milliseconds connect_timeout{kDefaultConnectTimeout};  // opening a target
    std::size_t max_streams_per_carrier = 1024;
    std::size_t max_carriers = 256;
    // Clients ping every 15 s by default (their keepalive_interval_s).
    std::chrono::seconds keepalive_interval{30};
    std::chrono::seconds keepalive_timeout{120};  // silence that closes a carrier
    bool allow_private_targets = false;           // loopback, private, link-local, ... refused
    std::vector<Prefix> deny_targets;             // refused on top
    ConfigPosition position;                      // of the [mux_server] table
    friend bool operator==(const MuxServerConfig&, const MuxServerConfig&) = default;
};

// [api]: the control API (docs/api.md). The section being present turns it on.
struct ApiConfig {
    std::optional<Endpoint> listen = Endpoint::parse("127.0.0.1:9090");  // nullopt: "" (off)
    std::string unix_socket;                                             // absolute path; "" none
    std::string secret;  // "" none: then only loopback listens and listed origins
    std::vector<std::string> allow_origins;  // "scheme://host[:port]", CORS without a secret
    std::string external_ui;                 // absolute directory; "" the built-in dashboard
    std::size_t max_connections = 64;
    ConfigPosition position;  // of the [api] table
    friend bool operator==(const ApiConfig&, const ApiConfig&) = default;
};

// [ebpf]: traffic the rules send DIRECT for every packet is forwarded by the kernel and
// never reaches the TUN (docs/ebpf.md): a tc program on [tun] lan_interfaces (router),
// cgroup connect hooks with auto_route (desktop).
struct EbpfConfig {
    bool enable = false;
    bool required = false;                // true: no eBPF is a start-up error instead of a log line
    std::size_t flow_table_size = 16384;  // flows the router's program remembers (LRU)
    std::string cgroup;       // the desktop hooks' cgroup (v2); "": the cgroup2 mount's root
    ConfigPosition position;  // of the [ebpf] table
    friend bool operator==(const EbpfConfig&, const EbpfConfig&) = default;
};

struct Config {
    std::string path;  // the file it was loaded from
    LogConfig log;
    DnsConfig dns;
    TunConfig tun;
    rules::Mode mode = rules::Mode::rule;  // top-level `mode`
    std::vector<rules::RuleSpec> rules;    // validated: every target and rule set exists
    std::vector<RuleSetConfig> rule_sets;
    GeoipConfig geoip;
    std::vector<ProxyConfig> proxies;  // names unique among proxies and groups
    std::vector<GroupConfig> groups;
    std::optional<MuxServerConfig> mux_server;
    std::optional<ApiConfig> api;  // absent: no API
    EbpfConfig ebpf;
};

std::string_view to_string(DnsMode mode);
std::string_view to_string(ProxyType type);
std::string_view to_string(GroupType type);

}  // namespace shunt

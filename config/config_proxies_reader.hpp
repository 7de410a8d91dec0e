// Reads [[proxies]] and [[groups]]: the upstreams rules send connections to. A proxy entry
// is declared key by key: the keys every proxy has (proxy_section_spec), then those of its
// type (socks5_proxy_spec, mux_proxy_spec); a key of the other type is reported as such.
// Checks that need every entry at once happen here too: names unique among proxies and
// groups (and not DIRECT, REJECT or GLOBAL), every group member declared, no group
// containing itself directly or through other groups (config_groups_reader.hpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/config_reader.hpp"
#include "config/key_spec.hpp"
#include "config/outbound_entries.hpp"

namespace shunt {

// The keys of every [[proxies]] entry: name, type, server, port.
const SectionSpec<ProxyConfig>& proxy_section_spec();
// The keys of a type = "socks5" entry beyond those.
const SectionSpec<Socks5ProxyOptions>& socks5_proxy_spec();
// The keys of a type = "mux" entry beyond those.
const SectionSpec<MuxProxyOptions>& mux_proxy_spec();

// Fills config.proxies and config.groups. Returns the name of every entry that declares
// one, valid or not, so rules naming a proxy with a typo in its port are not also
// reported as naming an unknown target.
OutboundNames read_proxy_sections(ConfigReader& top, const std::filesystem::path& base_dir,
                                  Config& config);

// A DNS host name as shunt stores it (lower case, no trailing dot), or nullopt for
// anything else, including dotted numbers that are not a valid IP address.
std::optional<std::string> parse_host_name(std::string_view text);

// "" when `path` can be opened for reading, else why not (strerror).
std::string why_unreadable(const std::string& path);

}  // namespace shunt

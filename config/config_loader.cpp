#include "config/config_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "base/regular_file.hpp"
#include "config/config_api_reader.hpp"
#include "config/config_dns_reader.hpp"
#include "config/config_ebpf_reader.hpp"
#include "config/config_mux_server_reader.hpp"
#include "config/config_proxies_reader.hpp"
#include "config/config_rules_reader.hpp"
#include "config/config_tun_reader.hpp"

namespace shunt {

namespace {

class Loader {
  public:
    Loader(const std::string& path, std::vector<ConfigError>& errors)
        : path_(path), errors_(errors), base_dir_(std::filesystem::absolute(path).parent_path()) {}

    Config load(const toml::table& root) {
        Config config;
        config.path = path_;
        ConfigReader top(root, "", path_, errors_);
        if (const auto* log = top.table("log")) read_log(*log, config.log);
        if (const auto* dns = top.table("dns"))
            read_dns_section(*dns, top, {base_dir_}, config.dns);
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
        if (const auto* api = top.table("api")) read_api_section(*api, top, base_dir_, config);
        if (const auto* ebpf = top.table("ebpf")) read_ebpf_section(*ebpf, top, config);
        top.finish();
        return config;
    }

  private:
    void read_log(const toml::table& table, LogConfig& log) {
        ConfigReader r(table, "log", path_, errors_);
        log_section_spec().read(r, log);
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
    std::string why;
    auto text = read_regular_file(path, kMaxConfigFileBytes, &why);
    if (!text) {
        ConfigLoadResult result;
        result.errors.push_back({path, 0, 0, "", "cannot read the config file: " + why});
        return result;
    }
    return parse_config(*text, path);
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

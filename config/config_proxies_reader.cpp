#include "config/config_proxies_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/regular_file.hpp"
#include "config/config_groups_reader.hpp"
#include "net/domain_name.hpp"

namespace shunt {

namespace {

// Proxies are compared whole on reload: a changed entry is rebuilt, its connections with it.
constexpr auto applied = OnReload::applied;
constexpr std::size_t kMaxSocksCredential = 255;  // RFC 1929: one length octet

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// 64 hex digits, or 32 colon-separated pairs as `openssl x509 -fingerprint` prints them.
std::optional<CertificateFingerprint> parse_fingerprint(std::string_view text) {
    std::string digits;
    if (text.find(':') != std::string_view::npos) {
        if (text.size() != 32 * 3 - 1) return std::nullopt;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (i % 3 == 2) {
                if (text[i] != ':') return std::nullopt;
            } else {
                digits += text[i];
            }
        }
    } else {
        digits = text;
    }
    if (digits.size() != 64) return std::nullopt;
    CertificateFingerprint out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int high = hex_value(digits[2 * i]);
        const int low = hex_value(digits[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        out[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return out;
}

std::string show_fingerprint(const std::optional<CertificateFingerprint>& fingerprint) {
    if (!fingerprint) return "\"\"";
    constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out = "\"";
    for (std::size_t i = 0; i < fingerprint->size(); ++i) {
        if (i > 0) out += ':';
        out += kDigits[(*fingerprint)[i] >> 4];
        out += kDigits[(*fingerprint)[i] & 0xf];
    }
    return out + "\"";
}

std::string quoted(const std::string& text) {
    return "\"" + text + "\"";
}

SectionSpec<ProxyConfig> make_proxy_spec() {
    using P = ProxyConfig;
    SectionSpec<P> spec;
    auto& k = spec.keys;
    k.push_back(outbound_name_key<P>("what rules and groups call the proxy"));
    k.push_back(required_key(enum_key("type", &P::type,
                                      {{to_string(ProxyType::socks5), ProxyType::socks5},
                                       {to_string(ProxyType::mux), ProxyType::mux}},
                                      true, applied, "socks5 or mux: which other keys apply"),
                             "required: \"socks5\" or \"mux\""));
    auto server = custom_key(
        "server", &P::server, applied, "the proxy's IP address or host name",
        [](ConfigReader& r, P& proxy, const ReadContext&) {
            auto server = r.string("server");
            if (!server) return;
            if (auto address = IpAddress::parse(*server)) {
                proxy.server = address->to_string();
                proxy.server_address = *address;
            } else if (auto host = parse_host_name(*server)) {
                proxy.server = *host;
            } else {
                r.error_at_key("server",
                               "expected an IP address or a host name, found \"" + *server + "\"");
            }
        });
    server.copy = [](P& to, const P& from) {
        to.server = from.server;
        to.server_address = from.server_address;
    };
    k.push_back(required_key(std::move(server), "required: the proxy's IP address or host name"));
    k.push_back(required_key(integer_key("port", &P::port, 1, 65535, applied, "the proxy's port"),
                             "required: 1..65535"));
    return spec;
}

// RFC 1929 username or password: 1..255 bytes; none by default.
KeySpec<Socks5ProxyOptions> credential_key(std::string_view name,
                                           std::string Socks5ProxyOptions::*member,
                                           std::string_view doc) {
    auto key =
        custom_key(name, member, applied, doc,
                   [name, member](ConfigReader& r, Socks5ProxyOptions& socks, const ReadContext&) {
                       auto value = r.string(name);
                       if (!value) return;
                       if (value->empty() || value->size() > kMaxSocksCredential)
                           r.error_at_key(name, "must be 1 to 255 bytes (RFC 1929)");
                       socks.*member = *value;
                   });
    key.unset_default = true;
    return key;
}

SectionSpec<Socks5ProxyOptions> make_socks5_spec() {
    using S = Socks5ProxyOptions;
    SectionSpec<S> spec;
    auto& k = spec.keys;
    k.push_back(credential_key("username", &S::username, "RFC 1929 authentication, with password"));
    k.push_back(credential_key("password", &S::password, "RFC 1929 authentication, with username"));
    k.push_back(
        boolean_key("udp", &S::udp, applied, "UDP flows through UDP ASSOCIATE; false drops them"));
    return spec;
}

void read_ca(ConfigReader& r, MuxProxyOptions& mux, const ReadContext& context) {
    auto ca = r.string("ca");
    if (!ca) return;
    if (ca->empty()) {
        r.error_at_key("ca", "must name a PEM file (omit it for the system trust store)");
        return;
    }
    mux.ca_file = resolve_config_path(context.base_dir, *ca);
    std::string why;
    if (auto pem = read_regular_file(mux.ca_file, kMaxPemFileBytes, &why))
        mux.ca_pem = std::move(*pem);
    else
        r.error_at_key("ca", "cannot read \"" + mux.ca_file + "\": " + why);
}

SectionSpec<MuxProxyOptions> make_mux_spec() {
    using M = MuxProxyOptions;
    SectionSpec<M> spec;
    auto& k = spec.keys;
    k.push_back(required_key(
        custom_key("password", &M::password, applied, "the server's [mux_server] password",
                   [](ConfigReader& r, M& mux, const ReadContext&) {
                       auto password = r.string("password");
                       if (!password) return;
                       if (password->empty())
                           r.error_at_key("password", "must not be empty");
                       else
                           mux.password = *password;
                   }),
        "required: the password set in the server's [mux_server]"));
    k.push_back(custom_key("ca", &M::ca_file, applied,
                           "a PEM CA that verifies the server; default: the system store",
                           read_ca));
    // A changed file under the same name is a change too.
    k.back().equal = [](const M& a, const M& b) {
        return a.ca_file == b.ca_file && a.ca_pem == b.ca_pem;
    };
    k.back().copy = [](M& to, const M& from) {
        to.ca_file = from.ca_file;
        to.ca_pem = from.ca_pem;
    };
    k.back().unset_default = true;
    k.push_back(custom_key(
        "fingerprint", &M::fingerprint, applied,
        "the server certificate's SHA-256, pinned instead of a CA",
        [](ConfigReader& r, M& mux, const ReadContext&) {
            auto fingerprint = r.string("fingerprint");
            if (!fingerprint) return;
            mux.fingerprint = parse_fingerprint(*fingerprint);
            if (!mux.fingerprint)
                r.error_at_key("fingerprint",
                               "expected the SHA-256 of the server certificate: 64 hex digits, "
                               "or 32 pairs as AB:CD:..., found \"" +
                                   *fingerprint + "\"");
            else if (r.raw().get("ca"))
                r.error_at_key("fingerprint", "set `ca` or `fingerprint`, not both");
        },
        [](const M& mux) { return show_fingerprint(mux.fingerprint); }));
    k.back().unset_default = true;
    k.push_back(custom_key(
        "sni", &M::sni, applied, "TLS server name; \"\" for none (default: server, if a name)",
        [](ConfigReader& r, M& mux, const ReadContext&) {
            auto sni = r.string("sni");
            if (!sni) return;
            if (sni->empty()) {
                mux.sni.clear();  // explicitly no SNI
            } else if (auto name = parse_host_name(*sni)) {
                mux.sni = *name;
            } else {
                r.error_at_key("sni",
                               "expected a host name (TLS sends no IP addresses as SNI), "
                               "found \"" +
                                   *sni + "\"");
            }
        },
        [](const M& mux) { return quoted(mux.sni); }));
    k.back().derived_default = true;
    k.push_back(integer_key("carriers", &M::carriers, 1, 16, applied,
                            "TLS connections kept open; streams are spread over them, and they "
                            "run on threads of their own (one per core, up to 4)"));
    k.push_back(integer_key("keepalive_interval_s", &M::keepalive_interval, 1, 3600, applied,
                            "a ping on every carrier this often"));
    k.push_back(integer_key("keepalive_timeout_s", &M::keepalive_timeout, 2, 86400, applied,
                            "a carrier silent this long is dead (> keepalive_interval_s)"));
    k.push_back(boolean_key("udp", &M::udp, applied, "relay UDP flows as datagrams over a stream"));
    return spec;
}

void check_credentials(ConfigReader& r) {
    auto given = [&](const char* key) {
        const auto* node = r.raw().get(key);
        return node && node->is_string();
    };
    if (given("username") != given("password"))
        r.error_at_key(given("username") ? "username" : "password",
                       "username and password go together: set both or neither");
}

// The timeout is checked against the interval when either was read cleanly.
void check_keepalive(ConfigReader& r, const MuxProxyOptions& mux, std::size_t errors_before) {
    if (mux.keepalive_timeout > mux.keepalive_interval) return;
    r.error_at_key(r.read_cleanly("keepalive_timeout_s", errors_before) ? "keepalive_timeout_s"
                                                                        : "keepalive_interval_s",
                   "keepalive_timeout_s (" + std::to_string(mux.keepalive_timeout.count()) +
                       ") must be greater than keepalive_interval_s (" +
                       std::to_string(mux.keepalive_interval.count()) + ")");
}

ProxyConfig read_proxy(ConfigReader& r, const ReadContext& context) {
    ProxyConfig proxy;
    const std::size_t errors_before = r.errors().size();
    proxy_section_spec().read_keys(r, proxy, context);
    const bool typed = r.read_cleanly("type", errors_before);
    if (typed && proxy.type == ProxyType::socks5) {
        socks5_proxy_spec().read_keys(r, proxy.socks5, context);
        check_credentials(r);
        reject_keys_of(r, socks5_proxy_spec(), mux_proxy_spec(), "only for type = \"mux\" proxies");
    } else if (typed && proxy.type == ProxyType::mux) {
        if (!proxy.server_address) proxy.mux.sni = proxy.server;
        mux_proxy_spec().read_keys(r, proxy.mux, context);
        check_keepalive(r, proxy.mux, errors_before);
        reject_keys_of(r, mux_proxy_spec(), socks5_proxy_spec(),
                       "only for type = \"socks5\" proxies");
    } else {
        // Without a valid type nothing more can be checked, but typos still can.
        skip_keys_of(r, socks5_proxy_spec());
        skip_keys_of(r, mux_proxy_spec());
    }
    r.finish();
    return proxy;
}

}  // namespace

const SectionSpec<ProxyConfig>& proxy_section_spec() {
    static const SectionSpec<ProxyConfig> spec = make_proxy_spec();
    return spec;
}

const SectionSpec<Socks5ProxyOptions>& socks5_proxy_spec() {
    static const SectionSpec<Socks5ProxyOptions> spec = make_socks5_spec();
    return spec;
}

const SectionSpec<MuxProxyOptions>& mux_proxy_spec() {
    static const SectionSpec<MuxProxyOptions> spec = make_mux_spec();
    return spec;
}

std::optional<std::string> parse_host_name(std::string_view text) {
    auto name = normalize_domain(text);
    if (!name) return std::nullopt;
    std::string_view rest = *name;
    std::string_view last;
    while (!rest.empty()) {
        const auto dot = rest.find('.');
        last = rest.substr(0, dot);
        rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
        const bool ok = std::all_of(last.begin(), last.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        });
        if (last.empty() || !ok || last.front() == '-' || last.back() == '-') return std::nullopt;
    }
    // "1.2.3.300" is a mistyped address, not a name: no top-level domain is all digits.
    if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    return name;
}

std::string why_unreadable(const std::string& path) {
    return why_not_readable_file(path, kMaxPemFileBytes);
}

OutboundNames read_proxy_sections(ConfigReader& top, const std::filesystem::path& base_dir,
                                  Config& config) {
    const auto proxies = array_entries(top, "proxies");
    const auto groups = array_entries(top, "groups");
    DeclaredNames names;
    for (std::size_t i = 0; i < proxies.size(); ++i) {
        ConfigReader r(*proxies[i], "proxies[" + std::to_string(i) + "]", top.file(), top.errors());
        config.proxies.push_back(read_proxy(r, {base_dir}));
        names.declare(r, *proxies[i]);
    }
    read_group_sections(top, groups, names, config);
    return names.names();
}

}  // namespace shunt

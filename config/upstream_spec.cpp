#include "config/upstream_spec.hpp"

#include <charconv>

#include "net/domain_name.hpp"

namespace shunt {

namespace {

bool fail(std::string* error, std::string message) {
    if (error) *error = std::move(message);
    return false;
}

// Splits "host[:port]" or "[v6][:port]"; `port` is left unchanged when absent.
bool split_host_port(std::string_view authority, std::string& host, std::uint16_t& port,
                     std::string* error) {
    std::string_view port_text;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return fail(error, "unclosed '[' in address");
        host = authority.substr(1, close - 1);
        auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return fail(error, "garbage after ']'");
            port_text = rest.substr(1);
        }
    } else {
        auto colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            if (authority.find(':') != colon)
                return fail(error, "IPv6 addresses must be written in brackets: [::1]:53");
            port_text = authority.substr(colon + 1);
            authority = authority.substr(0, colon);
        }
        host = authority;
    }
    if (host.empty()) return fail(error, "missing host");
    if (!port_text.empty() || authority.ends_with(':')) {
        unsigned value = 0;
        auto [p, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || p != port_text.data() + port_text.size() || value == 0 ||
            value > 65535)
            return fail(error, "bad port \"" + std::string(port_text) + "\"");
        port = static_cast<std::uint16_t>(value);
    }
    return true;
}

}  // namespace

std::string_view to_string(UpstreamSpec::Scheme scheme) {
    switch (scheme) {
        case UpstreamSpec::Scheme::udp:
            return "udp";
        case UpstreamSpec::Scheme::tcp:
            return "tcp";
        case UpstreamSpec::Scheme::tls:
            return "tls";
        case UpstreamSpec::Scheme::https:
            return "https";
    }
    return "?";
}

std::optional<UpstreamSpec> UpstreamSpec::parse(std::string_view url, std::string* error) {
    UpstreamSpec spec;
    spec.text = std::string(url);
    auto sep = url.find("://");
    if (sep == std::string_view::npos) {
        fail(error, "upstream must be a URL such as udp://1.1.1.1 (missing \"://\")");
        return std::nullopt;
    }
    auto scheme = url.substr(0, sep);
    if (scheme == "udp") {
        spec.scheme = Scheme::udp;
    } else if (scheme == "tcp") {
        spec.scheme = Scheme::tcp;
    } else if (scheme == "tls") {
        spec.scheme = Scheme::tls;
        spec.port = 853;
    } else if (scheme == "https") {
        spec.scheme = Scheme::https;
        spec.port = 443;
    } else {
        fail(error, "unknown upstream scheme \"" + std::string(scheme) +
                        "\" (expected udp, tcp, tls or https)");
        return std::nullopt;
    }
    auto rest = url.substr(sep + 3);
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        if (spec.scheme != Scheme::https) {
            fail(error, "only https:// upstreams take a path");
            return std::nullopt;
        }
        spec.path = rest.substr(slash);
    } else if (spec.scheme == Scheme::https) {
        spec.path = "/dns-query";
    }

    std::string name;
    auto at = authority.find('@');
    if (at != std::string_view::npos) {
        if (spec.scheme == Scheme::udp || spec.scheme == Scheme::tcp) {
            fail(error, "\"name@address\" is only meaningful for tls:// and https://");
            return std::nullopt;
        }
        name = authority.substr(0, at);
        authority = authority.substr(at + 1);
    }
    if (!split_host_port(authority, spec.host, spec.port, error)) return std::nullopt;
    spec.address = IpAddress::parse(spec.host);
    if (!spec.address) {
        if (!name.empty()) {
            fail(error, "after '@' an IP address is expected, got \"" + spec.host + "\"");
            return std::nullopt;
        }
        if (spec.scheme == Scheme::udp || spec.scheme == Scheme::tcp) {
            fail(error,
                 "udp:// and tcp:// upstreams need an IP address, got \"" + spec.host + "\"");
            return std::nullopt;
        }
        auto normalized = normalize_domain(spec.host);
        if (!normalized) {
            fail(error, "bad host name \"" + spec.host + "\"");
            return std::nullopt;
        }
        spec.host = *normalized;
    }
    if (spec.scheme == Scheme::tls || spec.scheme == Scheme::https) {
        spec.tls_name = name.empty() ? spec.host : name;
    }
    return spec;
}

}  // namespace shunt

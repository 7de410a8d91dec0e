// A DNS upstream as written in the config: "udp://127.0.0.1:5353", "tcp://[::1]",
// "tls://9.9.9.9", "tls://dns.example@9.9.9.9:853", "https://dns.example/dns-query",
// "https://dns.example@1.2.3.4/dns-query".
//
// For tls:// and https:// the host part is the name the server certificate is
// verified against (and the SNI / Host header); "name@address" dials `address`
// without resolving `name`. A bare name with no address is resolved through the
// [dns] bootstrap upstreams, which must then be plain udp:// or tcp:// addresses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/ip_address.hpp"

namespace shunt {

struct UpstreamSpec {
    enum class Scheme { udp, tcp, tls, https };
    Scheme scheme = Scheme::udp;
    std::string host;                  // as written: address or name
    std::optional<IpAddress> address;  // set when known without resolution
    std::uint16_t port = 53;           // 53, 853 (tls) or 443 (https) by default
    std::string tls_name;              // certificate name / SNI; empty for udp/tcp
    std::string path;                  // https only, default "/dns-query"
    std::string text;                  // the original URL, for logs

    // nullopt with `error` set when the URL is malformed.
    static std::optional<UpstreamSpec> parse(std::string_view url, std::string* error);
    bool needs_bootstrap() const { return !address.has_value(); }
    friend bool operator==(const UpstreamSpec&, const UpstreamSpec&) = default;
};

std::string_view to_string(UpstreamSpec::Scheme scheme);

}  // namespace shunt

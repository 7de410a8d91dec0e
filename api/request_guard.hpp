// RequestGuard: who may use the control API (docs/api.md §1.3), decided before any
// endpoint runs: the Host check against DNS rebinding, the Origin check and the CORS
// headers (Chrome's Private Network Access preflight included), and the secret — a bearer
// header, or `?token=` on a WebSocket upgrade only, compared in constant time. A pure
// function of the settings and what the request says, so every rule is a row in a table
// test; the server applies the verdict.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shunt::api {

struct GuardSettings {
    std::string secret;  // empty: no authentication (then only trusted origins may call)
    // The API listens on a loopback address: requests must name a loopback host (or the
    // listen address) in Host, or a web page could reach it through DNS rebinding.
    bool loopback_listen = true;
    std::string listen_host;                 // "127.0.0.1", "::1": the configured address
    std::vector<std::string> allow_origins;  // "http://router.lan:8080": CORS without secret
};

// What the guard reads of a request (header values as sent; absent headers as nullopt).
struct RequestFacts {
    std::string_view method;  // "GET"
    std::string_view target;  // "/connections?token=..."
    std::optional<std::string_view> host;
    std::optional<std::string_view> origin;
    std::optional<std::string_view> authorization;
    std::optional<std::string_view> upgrade;                         // "websocket"
    std::optional<std::string_view> access_control_request_method;   // preflights
    std::optional<std::string_view> access_control_request_private;  // "true": PNA
    bool unix_socket = false;  // came through [api] unix: its file mode is the guard
};

enum class GuardOutcome : std::uint8_t {
    serve,         // go on to the endpoint, adding `headers` to the response
    preflight,     // answer 204 with `headers`, no endpoint
    unauthorized,  // 401 {"message":"Unauthorized"}
    forbidden,     // 403 {"message":"Forbidden"}: Host or Origin refused
};

struct GuardVerdict {
    GuardOutcome outcome = GuardOutcome::forbidden;
    std::vector<std::pair<std::string, std::string>> headers;  // CORS response headers
};

GuardVerdict check_request(const GuardSettings& settings, const RequestFacts& request);

// Whether `host` (a Host header: name or address, optional port, IPv6 in brackets) names
// this machine's loopback: localhost, *.localhost, 127.0.0.0/8, ::1.
bool is_loopback_host(std::string_view host);

}  // namespace shunt::api

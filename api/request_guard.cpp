#include "api/request_guard.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/crypto.h>

#include "api/request_target.hpp"
#include "net/ip_address.hpp"

namespace shunt::api {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() &&
           equals_ignoring_case(text.substr(text.size() - suffix.size()), suffix);
}

// The host of a Host header without its port: "[::1]:9090" -> "::1", "a.b:1" -> "a.b".
std::string_view host_without_port(std::string_view host) {
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        return close == std::string_view::npos ? std::string_view() : host.substr(1, close - 1);
    }
    // One colon is a port; more are an unbracketed IPv6 address (not valid in Host).
    const auto colon = host.find(':');
    if (colon != std::string_view::npos && host.find(':', colon + 1) == std::string_view::npos)
        return host.substr(0, colon);
    return host;
}

// Lengths differ in time too, which only says how long the secret is.
bool secret_matches(std::string_view given, std::string_view secret) {
    return given.size() == secret.size() &&
           CRYPTO_memcmp(given.data(), secret.data(), secret.size()) == 0;
}

bool authenticated(const GuardSettings& settings, const RequestFacts& request) {
    if (request.authorization) {
        const std::string_view value = *request.authorization;
        constexpr std::string_view kBearer = "bearer ";
        if (value.size() >= kBearer.size() &&
            equals_ignoring_case(value.substr(0, kBearer.size()), kBearer) &&
            secret_matches(value.substr(kBearer.size()), settings.secret))
            return true;
    }
    // The browser's WebSocket API cannot set headers: the token rides in the query, and
    // only there (elsewhere it would end up in logs and histories for nothing).
    if (request.upgrade && equals_ignoring_case(*request.upgrade, "websocket") &&
        request.method == "GET") {
        const auto target = RequestTarget::parse(request.target);
        if (target) {
            const auto token = target->parameter("token");
            if (token && secret_matches(*token, settings.secret)) return true;
        }
    }
    return false;
}

bool is_static_file(std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    return path == "/ui" || path.substr(0, 4) == "/ui/";
}

}  // namespace

bool is_loopback_host(std::string_view host) {
    const std::string_view name = host_without_port(host);
    if (name.empty()) return false;
    if (equals_ignoring_case(name, "localhost") || ends_with_ignoring_case(name, ".localhost"))
        return true;
    const auto address = IpAddress::parse(name);
    return address && address->is_loopback();
}

GuardVerdict check_request(const GuardSettings& settings, const RequestFacts& request) {
    GuardVerdict verdict;
    if (!request.unix_socket && settings.loopback_listen) {
        if (!request.host) return verdict;  // forbidden
        const std::string_view name = host_without_port(*request.host);
        const bool listen_name =
            !settings.listen_host.empty() && equals_ignoring_case(name, settings.listen_host);
        if (!listen_name && !is_loopback_host(*request.host)) return verdict;
    }
    if (request.origin) {
        const std::string_view origin = *request.origin;
        const bool same_origin = request.host && origin == "http://" + std::string(*request.host);
        const bool listed = std::find(settings.allow_origins.begin(), settings.allow_origins.end(),
                                      origin) != settings.allow_origins.end();
        // With a secret any page may call (the secret is the guard, as in mihomo); without
        // one only the API's own pages and the origins the user listed.
        if (settings.secret.empty() && !same_origin && !listed) return verdict;
        verdict.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
        verdict.headers.emplace_back("Vary", "Origin");
        if (request.method == "OPTIONS" && request.access_control_request_method) {
            verdict.headers.emplace_back("Access-Control-Allow-Methods",
                                         "GET, POST, PUT, PATCH, DELETE");
            verdict.headers.emplace_back("Access-Control-Allow-Headers",
                                         "Authorization, Content-Type");
            verdict.headers.emplace_back("Access-Control-Max-Age", "300");
            if (request.access_control_request_private &&
                equals_ignoring_case(*request.access_control_request_private, "true"))
                verdict.headers.emplace_back("Access-Control-Allow-Private-Network", "true");
            verdict.outcome = GuardOutcome::preflight;
            return verdict;
        }
    }
    // Static dashboard files need no secret (the page asks for it, as in mihomo).
    if (settings.secret.empty() || request.unix_socket || is_static_file(request.target) ||
        authenticated(settings, request)) {
        verdict.outcome = GuardOutcome::serve;
        return verdict;
    }
    verdict.outcome = GuardOutcome::unauthorized;
    return verdict;
}

}  // namespace shunt::api

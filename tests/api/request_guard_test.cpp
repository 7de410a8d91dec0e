// The control API's guard (docs/api.md §1.3) as a table: Host against DNS rebinding,
// Origin and CORS with and without a secret, preflights with Private Network Access, the
// bearer secret and the WebSocket-only query token.
#include "api/request_guard.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace shunt::api {
namespace {

using O = GuardOutcome;

GuardSettings with_secret(std::string secret = "s3cret") {
    GuardSettings settings;
    settings.secret = std::move(secret);
    settings.listen_host = "127.0.0.1";
    return settings;
}

GuardSettings without_secret() {
    GuardSettings settings = with_secret("");
    settings.allow_origins = {"http://dash.example:8080"};
    return settings;
}

RequestFacts get(std::string_view target = "/proxies", std::string_view host = "127.0.0.1:9090") {
    RequestFacts r;
    r.method = "GET";
    r.target = target;
    r.host = host;
    return r;
}

std::optional<std::string> header(const GuardVerdict& v, std::string_view name) {
    const auto it = std::find_if(v.headers.begin(), v.headers.end(),
                                 [&](const auto& h) { return h.first == name; });
    if (it == v.headers.end()) return std::nullopt;
    return it->second;
}

TEST(RequestGuard, TheSecretIsABearerHeaderOrAWebSocketToken) {
    const auto settings = with_secret();
    auto r = get();
    EXPECT_EQ(check_request(settings, r).outcome, O::unauthorized) << "no credentials";
    r.authorization = "Bearer s3cret";
    EXPECT_EQ(check_request(settings, r).outcome, O::serve);
    r.authorization = "bearer s3cret";
    EXPECT_EQ(check_request(settings, r).outcome, O::serve) << "the scheme is case-insensitive";
    for (const char* wrong : {"Bearer s3cre", "Bearer s3cret ", "Bearer S3CRET", "Basic s3cret",
                              "s3cret", "Bearer", ""}) {
        r.authorization = wrong;
        EXPECT_EQ(check_request(settings, r).outcome, O::unauthorized) << wrong;
    }
    r.authorization.reset();
    r.target = "/connections?token=s3cret";
    EXPECT_EQ(check_request(settings, r).outcome, O::unauthorized)
        << "a query token outside a WebSocket upgrade authenticates nothing";
    r.upgrade = "websocket";
    EXPECT_EQ(check_request(settings, r).outcome, O::serve);
    r.upgrade = "WebSocket";
    EXPECT_EQ(check_request(settings, r).outcome, O::serve);
    r.target = "/connections?token=wrong";
    EXPECT_EQ(check_request(settings, r).outcome, O::unauthorized);
    r.target = "/connections?token=s3cre%74";
    EXPECT_EQ(check_request(settings, r).outcome, O::serve) << "the token is percent-decoded";
    r.method = "POST";
    r.target = "/connections?token=s3cret";
    EXPECT_EQ(check_request(settings, r).outcome, O::unauthorized) << "upgrades are GETs";
}

TEST(RequestGuard, WithoutASecretNoCredentialsAreNeededAndAnyAreIgnored) {
    auto r = get();
    EXPECT_EQ(check_request(without_secret(), r).outcome, O::serve);
    r.authorization = "Bearer ";  // zashboard always sends one
    EXPECT_EQ(check_request(without_secret(), r).outcome, O::serve);
}

TEST(RequestGuard, DashboardFilesAndTheUnixSocketNeedNoSecret) {
    const auto settings = with_secret();
    EXPECT_EQ(check_request(settings, get("/ui/index.html")).outcome, O::serve);
    EXPECT_EQ(check_request(settings, get("/ui")).outcome, O::serve);
    EXPECT_EQ(check_request(settings, get("/uix")).outcome, O::unauthorized);
    auto r = get();
    r.unix_socket = true;
    r.host.reset();
    EXPECT_EQ(check_request(settings, r).outcome, O::serve);
}

TEST(RequestGuard, ALoopbackListenRefusesHostsThatAreNotLoopback) {
    for (const auto& settings : {with_secret(), without_secret()}) {
        for (const char* host :
             {"127.0.0.1:9090", "127.0.0.1", "127.1.2.3:9090", "localhost:9090", "LOCALHOST",
              "app.localhost:9090", "[::1]:9090", "[::1]", "[::ffff:127.0.0.1]:9090"}) {
            auto r = get("/ui/", host);
            EXPECT_EQ(check_request(settings, r).outcome, O::serve) << host;
        }
        for (const char* host : {"attacker.example", "attacker.example:9090", "10.0.0.1:9090",
                                 "localhost.attacker.example", "127.0.0.1.nip.io", "", "[::2]"}) {
            auto r = get("/ui/", host);
            EXPECT_EQ(check_request(settings, r).outcome, O::forbidden) << host;
        }
        auto r = get("/ui/");
        r.host.reset();
        EXPECT_EQ(check_request(settings, r).outcome, O::forbidden) << "no Host at all";
    }
}

TEST(RequestGuard, TheListenAddressIsAcceptedAsHostAndOtherListensSkipTheCheck) {
    auto settings = with_secret();
    settings.listen_host = "192.0.2.7";  // not loopback: the check does not apply
    settings.loopback_listen = false;
    auto r = get("/ui/", "anything.example");
    EXPECT_EQ(check_request(settings, r).outcome, O::serve);
    settings.loopback_listen = true;
    settings.listen_host = "127.0.0.53";
    EXPECT_EQ(check_request(settings, get("/ui/", "127.0.0.53:9090")).outcome, O::serve);
}

TEST(RequestGuard, WithASecretAnyOriginGetsItsCorsHeaders) {
    auto r = get();
    r.authorization = "Bearer s3cret";
    r.origin = "https://metacubex.github.io";
    const auto verdict = check_request(with_secret(), r);
    EXPECT_EQ(verdict.outcome, O::serve);
    EXPECT_EQ(header(verdict, "Access-Control-Allow-Origin"), "https://metacubex.github.io");
    EXPECT_EQ(header(verdict, "Vary"), "Origin");
    EXPECT_EQ(header(verdict, "Access-Control-Allow-Credentials"), std::nullopt);
    r.authorization.reset();
    EXPECT_EQ(check_request(with_secret(), r).outcome, O::unauthorized)
        << "CORS headers do not replace the secret";
}

TEST(RequestGuard, WithoutASecretOnlyTheApisOwnPagesAndListedOriginsMayCall) {
    const auto settings = without_secret();
    auto r = get();
    r.method = "PATCH";
    r.target = "/configs";
    r.origin = "http://127.0.0.1:9090";  // the built-in dashboard
    EXPECT_EQ(check_request(settings, r).outcome, O::serve);
    r.origin = "http://dash.example:8080";
    const auto listed = check_request(settings, r);
    EXPECT_EQ(listed.outcome, O::serve);
    EXPECT_EQ(header(listed, "Access-Control-Allow-Origin"), "http://dash.example:8080");
    for (const char* origin : {"https://evil.example", "null", "http://dash.example",
                               "http://127.0.0.1:9091", "http://dash.example:8080/"}) {
        r.origin = origin;
        EXPECT_EQ(check_request(settings, r).outcome, O::forbidden) << origin;
        r.upgrade = "websocket";  // browsers apply no CORS to WebSockets: refused here
        r.method = "GET";
        EXPECT_EQ(check_request(settings, r).outcome, O::forbidden) << origin;
        r.upgrade.reset();
        r.method = "PATCH";
    }
}

TEST(RequestGuard, PreflightsAreAnsweredWithoutTheSecretWithPrivateNetworkAccess) {
    auto r = get("/configs");
    r.method = "OPTIONS";
    r.origin = "https://yacd.example";
    r.access_control_request_method = "PATCH";
    auto verdict = check_request(with_secret(), r);
    EXPECT_EQ(verdict.outcome, O::preflight);
    EXPECT_EQ(header(verdict, "Access-Control-Allow-Methods"), "GET, POST, PUT, PATCH, DELETE");
    EXPECT_EQ(header(verdict, "Access-Control-Allow-Headers"), "Authorization, Content-Type");
    EXPECT_EQ(header(verdict, "Access-Control-Allow-Private-Network"), std::nullopt);
    r.access_control_request_private = "true";
    verdict = check_request(with_secret(), r);
    EXPECT_EQ(header(verdict, "Access-Control-Allow-Private-Network"), "true");
    EXPECT_EQ(check_request(without_secret(), r).outcome, O::forbidden)
        << "no secret: an unlisted origin gets no preflight either";
    r.access_control_request_method.reset();  // a plain OPTIONS is a request like others
    EXPECT_EQ(check_request(with_secret(), r).outcome, O::unauthorized);
}

}  // namespace
}  // namespace shunt::api

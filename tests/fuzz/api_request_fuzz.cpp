// libFuzzer target for the control API's request path (docs/api.md): the input is what a
// client sends on a connection. Beast's parser takes it with the server's limits; a whole
// request goes through the guard (with and without a secret), the target parser and the
// router with the real endpoints that answer at once — /, /version, /connections over a
// registry holding a flow, /configs, /rules, /providers, /proxies and /group over a real
// config's outbounds and rules. (Delay tests, DNS queries and streams are left out: they
// would open sockets to wherever the input says.) Whatever comes back must be a response
// the server can send: a known status, and a JSON body that parses. The target parser and
// percent-decoding also get the raw input. Violations are __builtin_trap, a crash the
// fuzzer records.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include "api/api_session.hpp"
#include "api/configs_endpoints.hpp"
#include "api/connections_endpoints.hpp"
#include "api/proxies_endpoints.hpp"
#include "api/request_guard.hpp"
#include "api/request_target.hpp"
#include "api/rules_endpoints.hpp"
#include "api/version_endpoints.hpp"
#include "config/config_loader.hpp"
#include "outbound/outbound_builder.hpp"
#include "outbound/outbound_set.hpp"

#include <boost/asio/io_context.hpp>

namespace {

namespace http = boost::beast::http;
using namespace shunt;
using namespace shunt::api;

void check(bool condition) {
    if (!condition) __builtin_trap();
}

struct NoOwner final : flow::FlowOwner {
    void close_flow() override {}
};

constexpr const char* kConfig = R"(
rules = ["DOMAIN-SUFFIX,example.com,proxy", "AND,((DST-PORT,443),(NETWORK,udp)),REJECT",
         "MATCH,DIRECT"]
[[proxies]]
name = "a"
type = "socks5"
server = "127.0.0.1"
port = 1080
[[proxies]]
name = "b b"
type = "socks5"
server = "127.0.0.1"
port = 1081
[[groups]]
name = "proxy"
type = "select"
proxies = ["a", "b b", "DIRECT"]
[[groups]]
name = "auto"
type = "url-test"
proxies = ["a", "b b"]
[dns]
upstreams = ["udp://127.0.0.1"]
fake_ip_store = ""
)";

// The running shunt as the endpoints see it: a real config and its real outbounds, never
// connected (nothing here dials). Reloads and rule-set reads are refused: no file.
struct FuzzShunt final : RunningShunt {
    boost::asio::io_context io;  // never run
    std::shared_ptr<const Config> running = parse_config(kConfig, "fuzz.toml").config;
    std::shared_ptr<outbound::OutboundSet> set =
        outbound::build_outbounds(*running, io.get_executor(), nullptr).set;
    rules::Mode current_mode = rules::Mode::rule;
    LogLevel level = LogLevel::info;

    std::shared_ptr<const Config> config() const override { return running; }
    rules::Mode mode() const override { return current_mode; }
    void set_mode(rules::Mode m) override { current_mode = m; }
    LogLevel log_level() const override { return level; }
    void set_log_level(LogLevel l) override { level = l; }
    std::vector<std::string> reload() override { return {"fuzz.toml: no file to reload"}; }
    outbound::OutboundSet& outbounds() override { return *set; }
    void selections_changed() override {}
    std::vector<RuleSetState> rule_sets() const override { return {}; }
    std::vector<std::string> reread_rule_sets() override { return {"no rule sets"}; }
    std::optional<ebpf::BypassStatus> bypass_status() const override {
        ebpf::BypassStatus status;
        status.state = "active";
        status.interfaces = {"br-lan"};
        return status;
    }
};

struct World {
    FuzzShunt shunt;
    flow::FlowRegistry registry;
    NoOwner owner;
    flow::LiveFlow flow{[] {
        flow::FlowRecord r;
        r.source = *Endpoint::parse("10.0.0.2:40000");
        r.destination = *Endpoint::parse("198.18.0.7:443");
        r.domain = "example.com";
        r.rule = "MATCH";
        r.chain = {"DIRECT"};
        return r;
    }()};
    ApiRouter router;
    World() {
        registry.add(flow, owner);
        add_version_endpoints(router);
        add_connection_endpoints(router, {registry,
                                          [](const IpAddress& a) {
                                              static const Prefix fake =
                                                  *Prefix::parse("198.18.0.0/15");
                                              return fake.contains(a);
                                          },
                                          "fake-ip"});
        add_config_endpoints(router, shunt);
        add_rule_endpoints(router, shunt);
        add_proxy_endpoints(router, shunt, shunt.io.get_executor(),
                            std::make_shared<DelayHistory>());
    }
};

void serve(World& world, const http::request<http::string_body>& message, bool with_secret) {
    GuardSettings settings;
    settings.listen_host = "127.0.0.1";
    if (with_secret) settings.secret = "s3cret";
    const RequestFacts facts = request_facts(message);
    const auto verdict = check_request(settings, facts);
    if (verdict.outcome != GuardOutcome::serve) return;
    const auto target = RequestTarget::parse(facts.target);
    if (!target) return;
    // DELETE would close the flow; the owner ignores it, the registry keeps it.
    // Every endpoint here answers at once.
    std::optional<ApiResponse> answer;
    world.router.route({message.method(), *target, message.body()},
                       [&](ApiResponse a) { answer = std::move(a); });
    check(answer.has_value());
    const auto& response = *answer;
    const auto status = static_cast<unsigned>(response.status);
    check(status >= 200 && status < 600);
    if (!response.body.empty()) {
        boost::system::error_code ec;
        boost::json::parse(response.body, ec);
        check(!ec);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static World world;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    // The target parser on its own: never a crash; a parsed path has one segment per '/'.
    if (const auto target = RequestTarget::parse(text)) {
        const auto path = text.substr(0, text.find('?'));
        check(target->segments.size() ==
              static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')));
    }
    percent_decode(text, true);

    http::request_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    parser.header_limit(16 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    std::size_t offset = 0;
    while (offset < size && !parser.is_done()) {
        const auto used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
        if (ec == http::error::need_more) break;
        if (ec) return 0;
        if (used == 0) break;
        offset += used;
    }
    if (!parser.is_done()) {
        parser.put_eof(ec);
        if (ec || !parser.is_done()) return 0;
    }
    const auto& message = parser.get();
    serve(world, message, true);
    serve(world, message, false);
    return 0;
}

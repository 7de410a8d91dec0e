#include "api/configs_endpoints.hpp"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace shunt::api {

namespace http = boost::beast::http;

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

boost::json::object tun_json(const TunConfig& tun) {
    boost::json::array hijack;
    for (const auto& endpoint : tun.dns_hijack) hijack.emplace_back(endpoint.to_string());
    return {
        {"enable", tun.enable},
        {"device", tun.name},
        {"stack", "lwIP"},
        {"dns-hijack", std::move(hijack)},
        {"auto-route", tun.auto_route},
        {"auto-detect-interface", false},
        {"mtu", tun.mtu},
        {"file-descriptor", 0},
    };
}

std::string configs_json(RunningShunt& shunt) {
    const auto config = shunt.config();
    return boost::json::serialize(boost::json::object{
        {"port", 0},
        {"socks-port", 0},
        {"redir-port", 0},
        {"tproxy-port", 0},
        {"mixed-port", 0},
        {"tun", tun_json(config->tun)},
        {"allow-lan", false},
        {"bind-address", ""},
        {"authentication", boost::json::array()},
        {"mode", rules::to_string(shunt.mode())},
        {"log-level", mihomo_log_level(shunt.log_level())},
        {"ipv6", config->dns.fake_ip_range6.has_value() || config->tun.address6.has_value()},
        {"interface-name", ""},
        {"routing-mark", config->tun.routing_mark},
        {"unified-delay", false},
        {"tcp-concurrent", true},
        {"find-process-mode", "strict"},
        {"sniffing", false},
        {"geodata-mode", false},
    });
}

// Applies what shunt can change at runtime; the other keys dashboards send (allow-lan,
// ports, tun) are the config file's to decide, so they are named in the log, not applied.
ApiResponse patch_configs(RunningShunt& shunt, const std::string& body) {
    boost::system::error_code ec;
    const auto value = boost::json::parse(body, ec);
    if (ec || !value.is_object()) return error_response(http::status::bad_request, "Body invalid");
    const auto& patch = value.as_object();
    std::optional<rules::Mode> mode;
    std::optional<LogLevel> level;
    // Check everything before changing anything: a bad value changes nothing.
    if (const auto* text = patch.if_contains("mode")) {
        if (!text->is_string()) return error_response(http::status::bad_request, "Body invalid");
        mode = rules::mode_from_name(lower(text->as_string()));
        if (!mode) return error_response(http::status::bad_request, "Body invalid");
    }
    if (const auto* text = patch.if_contains("log-level")) {
        if (!text->is_string()) return error_response(http::status::bad_request, "Body invalid");
        level = log_level_from_mihomo(text->as_string());
        if (!level) return error_response(http::status::bad_request, "Body invalid");
    }
    if (mode && *mode != shunt.mode()) {
        spdlog::info("api: mode {} (was {})", rules::to_string(*mode),
                     rules::to_string(shunt.mode()));
        shunt.set_mode(*mode);
    }
    if (level) shunt.set_log_level(*level);
    for (const auto& [key, ignored] : patch) {
        if (key != "mode" && key != "log-level")
            spdlog::warn("api: PATCH /configs: \"{}\" is set in the config file, not at runtime",
                         std::string_view(key));
    }
    return no_content_response();
}

ApiResponse put_configs(RunningShunt& shunt, const std::string& body) {
    // Dashboards send {"path":"","payload":""}; shunt only ever reloads its own file, so a
    // client cannot make it read a path of its choosing.
    if (!body.empty()) {
        boost::system::error_code ec;
        const auto value = boost::json::parse(body, ec);
        if (ec || !value.is_object())
            return error_response(http::status::bad_request, "Body invalid");
        for (const char* key : {"path", "payload"}) {
            const auto* given = value.as_object().if_contains(key);
            if (given && !(given->is_string() && given->as_string().empty()) && !given->is_null())
                return error_response(http::status::bad_request,
                                      "shunt reloads its own config file; path and payload are "
                                      "not supported");
        }
    }
    const auto errors = shunt.reload();
    if (!errors.empty()) return errors_response(http::status::bad_request, errors);
    return no_content_response();
}

}  // namespace

std::string_view mihomo_log_level(LogLevel level) {
    switch (level) {
        case LogLevel::trace:
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warning";
        case LogLevel::error:
            return "error";
        case LogLevel::off:
            return "silent";
    }
    return "info";
}

std::optional<LogLevel> log_level_from_mihomo(std::string_view name) {
    const std::string text = lower(name);
    if (text == "trace") return LogLevel::trace;
    if (text == "debug") return LogLevel::debug;
    if (text == "info") return LogLevel::info;
    if (text == "warning" || text == "warn") return LogLevel::warn;
    if (text == "error") return LogLevel::error;
    if (text == "silent" || text == "off") return LogLevel::off;
    return std::nullopt;
}

void add_config_endpoints(ApiRouter& router, RunningShunt& shunt) {
    router.add(http::verb::get, "/configs", [&shunt](const ApiRequest&, const PathParameters&) {
        return json_response(configs_json(shunt));
    });
    router.add(http::verb::patch, "/configs",
               [&shunt](const ApiRequest& request, const PathParameters&) {
                   return patch_configs(shunt, request.body);
               });
    router.add(http::verb::put, "/configs",
               [&shunt](const ApiRequest& request, const PathParameters&) {
                   return put_configs(shunt, request.body);
               });
}

}  // namespace shunt::api

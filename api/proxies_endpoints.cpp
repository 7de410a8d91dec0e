#include "api/proxies_endpoints.hpp"

#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/connections_endpoints.hpp"
#include "api/delay_test.hpp"
#include "api/proxy_json.hpp"
#include "outbound/outbound_set.hpp"

namespace shunt::api {

namespace http = boost::beast::http;

namespace {

ApiResponse body_invalid() {
    return error_response(http::status::bad_request, "Body invalid");
}

// The outbounds as the "default" provider and GLOBAL list them: DIRECT, REJECT, then the
// proxies and groups in config order (GLOBAL itself not included).
std::vector<std::shared_ptr<outbound::Outbound>> provider_members(RunningShunt& shunt) {
    return listed_members(*shunt.outbounds().find("GLOBAL"));
}

struct ProxyRoutes {
    RunningShunt& shunt;
    boost::asio::any_io_executor executor;
    std::shared_ptr<DelayHistory> history;

    std::string all_json() {
        const auto config = shunt.config();
        boost::json::object proxies;
        for (const auto& outbound : shunt.outbounds().all())
            proxies[outbound->name()] = proxy_json(*outbound, *config, *history);
        return boost::json::serialize(boost::json::object{{"proxies", std::move(proxies)}});
    }

    ApiResponse one(const std::string& name) {
        const auto* outbound = shunt.outbounds().find(name);
        if (outbound == nullptr) return not_found_response();
        return json_response(
            boost::json::serialize(proxy_json(*outbound, *shunt.config(), *history)));
    }

    // PUT /proxies/{name} {"name": member}: select, or pin a url-test/fallback group.
    ApiResponse choose(const std::string& name, const std::string& body) {
        const auto* outbound = shunt.outbounds().find(name);
        if (outbound == nullptr) return not_found_response();
        boost::system::error_code ec;
        const auto value = boost::json::parse(body, ec);
        const auto* member =
            !ec && value.is_object() ? value.as_object().if_contains("name") : nullptr;
        if (member == nullptr || !member->is_string()) return body_invalid();
        if (!is_group(*outbound))
            return error_response(http::status::bad_request, "Must be a Selector");
        const std::string chosen(member->as_string());
        if (const auto why = shunt.outbounds().select(name, chosen); !why.empty())
            return error_response(http::status::bad_request,
                                  "Selector update error: proxy not exist");
        spdlog::info("api: {} now uses {}", name, chosen);
        shunt.selections_changed();
        return no_content_response();
    }

    // DELETE /proxies/{name}: a url-test or fallback group chooses by itself again.
    ApiResponse unpin(const std::string& name) {
        const auto* outbound = shunt.outbounds().find(name);
        if (outbound == nullptr) return not_found_response();
        if (!shunt.outbounds().unpin(name)) return body_invalid();
        shunt.selections_changed();
        return no_content_response();
    }

    void delay(const ApiRequest& request, const std::string& name, ApiRouter::Respond respond) {
        auto outbound = shunt.outbounds().find_shared(name);
        if (!outbound) return respond(not_found_response());
        // mihomo reads the timeout as a 16-bit integer.
        const auto test = parse_delay_test(request.target, 32767);
        if (!test) return respond(body_invalid());
        run_delay_test(executor, outbound, *test, history,
                       [respond = std::move(respond)](const DelayOutcome& outcome) {
                           if (outcome.delay)
                               respond(json_response(boost::json::serialize(boost::json::object{
                                   {"delay", std::max<std::int64_t>(1, outcome.delay->count())}})));
                           else if (outcome.timed_out)
                               respond(error_response(http::status::gateway_timeout, "Timeout"));
                           else
                               respond(error_response(http::status::service_unavailable,
                                                      "An error occurred in the delay test"));
                       });
    }

    std::string groups_json() {
        const auto config = shunt.config();
        boost::json::array groups;
        for (const auto& outbound : shunt.outbounds().all())
            if (is_group(*outbound)) groups.emplace_back(proxy_json(*outbound, *config, *history));
        return boost::json::serialize(boost::json::object{{"proxies", std::move(groups)}});
    }

    void group_delay(const ApiRequest& request, const std::string& name,
                     ApiRouter::Respond respond) {
        auto group = shunt.outbounds().find_shared(name);
        if (!group || !is_group(*group)) return respond(not_found_response());
        const auto test = parse_delay_test(request.target, 0x7fffffff);
        if (!test) return respond(body_invalid());
        // As in mihomo: testing a group lifts its pin, so the probes choose again.
        if (shunt.outbounds().unpin(name)) shunt.selections_changed();
        run_delay_tests(executor, listed_members(*group), *test, history,
                        [respond = std::move(respond)](std::map<std::string, int> delays) {
                            if (delays.empty())
                                return respond(error_response(http::status::gateway_timeout,
                                                              "get delay: all proxies timeout"));
                            boost::json::object out;
                            for (const auto& [member, ms] : delays) out[member] = ms;
                            respond(json_response(boost::json::serialize(out)));
                        });
    }

    boost::json::object provider_json() {
        const auto config = shunt.config();
        boost::json::array proxies;
        for (const auto& outbound : provider_members(shunt))
            proxies.emplace_back(proxy_json(*outbound, *config, *history));
        return {
            {"name", "default"},
            {"type", "Proxy"},
            {"vehicleType", "Compatible"},
            {"proxies", std::move(proxies)},
            {"testUrl", ""},
            {"expectedStatus", "*"},
            {"updatedAt", rfc3339_utc(std::chrono::system_clock::now())},
        };
    }

    // GET /providers/proxies/default/healthcheck: a delay test through every proxy with
    // the first probing group's URL (or the default one), answered when all are done.
    void healthcheck(ApiRouter::Respond respond) {
        const auto config = shunt.config();
        DelayTest test;
        test.url = config->groups.empty() ? GroupConfig{}.url : config->groups.front().url;
        std::vector<std::shared_ptr<outbound::Outbound>> leaves;
        for (const auto& outbound : provider_members(shunt))
            if (!is_group(*outbound)) leaves.push_back(outbound);
        run_delay_tests(executor, leaves, test, history,
                        [respond = std::move(respond)](const std::map<std::string, int>&) {
                            respond(no_content_response());
                        });
    }
};

}  // namespace

void add_proxy_endpoints(ApiRouter& router, RunningShunt& shunt,
                         boost::asio::any_io_executor executor,
                         std::shared_ptr<DelayHistory> history) {
    auto routes = std::make_shared<ProxyRoutes>(ProxyRoutes{shunt, executor, std::move(history)});
    using P = const PathParameters&;
    using R = const ApiRequest&;
    router.add(http::verb::get, "/proxies",
               [routes](R, P) { return json_response(routes->all_json()); });
    router.add(http::verb::get, "/proxies/{name}",
               [routes](R, P path) { return routes->one(path.at("name")); });
    router.add(http::verb::put, "/proxies/{name}", [routes](R request, P path) {
        return routes->choose(path.at("name"), request.body);
    });
    router.add(http::verb::delete_, "/proxies/{name}",
               [routes](R, P path) { return routes->unpin(path.at("name")); });
    router.add(http::verb::get, "/group",
               [routes](R, P) { return json_response(routes->groups_json()); });
    router.add(http::verb::get, "/group/{name}", [routes](R, P path) {
        const auto* outbound = routes->shunt.outbounds().find(path.at("name"));
        if (outbound == nullptr || !is_group(*outbound)) return not_found_response();
        return routes->one(path.at("name"));
    });
    router.add(http::verb::get, "/providers/proxies", [routes](R, P) {
        return json_response(boost::json::serialize(boost::json::object{
            {"providers", boost::json::object{{"default", routes->provider_json()}}}}));
    });
    router.add(http::verb::get, "/providers/proxies/{name}", [routes](R, P path) {
        if (path.at("name") != "default") return not_found_response();
        return json_response(boost::json::serialize(routes->provider_json()));
    });
    router.add(http::verb::put, "/providers/proxies/{name}", [](R, P path) {
        // The "default" provider is the config file itself: nothing to fetch.
        return path.at("name") == "default" ? no_content_response() : not_found_response();
    });
}

void add_delay_endpoints(ApiRouter& router, RunningShunt& shunt,
                         boost::asio::any_io_executor executor,
                         std::shared_ptr<DelayHistory> history) {
    auto routes = std::make_shared<ProxyRoutes>(ProxyRoutes{shunt, executor, std::move(history)});
    using P = const PathParameters&;
    using R = const ApiRequest&;
    router.add_async(http::verb::get, "/proxies/{name}/delay",
                     [routes](R request, P path, ApiRouter::Respond respond) {
                         routes->delay(request, path.at("name"), std::move(respond));
                     });
    router.add_async(http::verb::get, "/group/{name}/delay",
                     [routes](R request, P path, ApiRouter::Respond respond) {
                         routes->group_delay(request, path.at("name"), std::move(respond));
                     });
    router.add_async(http::verb::get, "/providers/proxies/{name}/healthcheck",
                     [routes](R, P path, ApiRouter::Respond respond) {
                         if (path.at("name") != "default") return respond(not_found_response());
                         routes->healthcheck(std::move(respond));
                     });
}

}  // namespace shunt::api

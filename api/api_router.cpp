#include "api/api_router.hpp"

#include <exception>

#include <spdlog/spdlog.h>

namespace shunt::api {

namespace http = boost::beast::http;

void ApiRouter::add(http::verb method, std::string_view pattern, Handler handler) {
    add_async(
        method, pattern,
        [handler = std::move(handler)](const ApiRequest& request, const PathParameters& parameters,
                                       Respond respond) { respond(handler(request, parameters)); });
}

void ApiRouter::add_async(http::verb method, std::string_view pattern, AsyncHandler handler) {
    auto target = RequestTarget::parse(pattern);
    routes_.push_back(
        {method, target ? target->segments : std::vector<std::string>{}, std::move(handler)});
}

void ApiRouter::route(const ApiRequest& request, Respond respond) const {
    bool path_known = false;
    for (const auto& route : routes_) {
        const auto& segments = request.target.segments;
        // "{*rest}" last: any number of segments (one at least) from there on; the
        // endpoint reads them from request.target.segments.
        const bool rest = !route.pattern.empty() && route.pattern.back().rfind("{*", 0) == 0;
        const std::size_t fixed = route.pattern.size() - (rest ? 1 : 0);
        if (rest ? segments.size() < route.pattern.size() : route.pattern.size() != segments.size())
            continue;
        PathParameters parameters;
        bool matches = true;
        for (std::size_t i = 0; i < fixed && matches; ++i) {
            const auto& part = route.pattern[i];
            if (part.size() > 2 && part.front() == '{' && part.back() == '}')
                parameters[part.substr(1, part.size() - 2)] = segments[i];
            else
                matches = part == segments[i];
        }
        if (!matches) continue;
        path_known = true;
        if (route.method != request.method) continue;
        // An endpoint that throws before it answered answers 500; `respond` is guarded so
        // that one that throws after answering cannot answer twice.
        auto answered = std::make_shared<bool>(false);
        auto once = [answered, respond](ApiResponse response) {
            if (*answered) return;
            *answered = true;
            respond(std::move(response));
        };
        try {
            route.handler(request, parameters, once);
        } catch (const std::exception& e) {
            spdlog::error("api: {}: {}",
                          request.target.segments.empty() ? "" : request.target.segments[0],
                          e.what());
            once(error_response(http::status::internal_server_error, e.what()));
        }
        return;
    }
    respond(path_known ? error_response(http::status::method_not_allowed, "Method not allowed")
                       : error_response(http::status::not_found, "Resource not found"));
}

}  // namespace shunt::api

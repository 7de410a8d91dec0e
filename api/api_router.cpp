#include "api/api_router.hpp"

#include <exception>

#include <spdlog/spdlog.h>

namespace shunt::api {

namespace http = boost::beast::http;

void ApiRouter::add(http::verb method, std::string_view pattern, Handler handler) {
    auto target = RequestTarget::parse(pattern);
    routes_.push_back(
        {method, target ? target->segments : std::vector<std::string>{}, std::move(handler)});
}

ApiResponse ApiRouter::route(const ApiRequest& request) const {
    bool path_known = false;
    for (const auto& route : routes_) {
        const auto& segments = request.target.segments;
        if (route.pattern.size() != segments.size()) continue;
        PathParameters parameters;
        bool matches = true;
        for (std::size_t i = 0; i < segments.size() && matches; ++i) {
            const auto& part = route.pattern[i];
            if (part.size() > 2 && part.front() == '{' && part.back() == '}')
                parameters[part.substr(1, part.size() - 2)] = segments[i];
            else
                matches = part == segments[i];
        }
        if (!matches) continue;
        path_known = true;
        if (route.method != request.method) continue;
        try {
            return route.handler(request, parameters);
        } catch (const std::exception& e) {
            spdlog::error("api: {}: {}",
                          request.target.segments.empty() ? "" : request.target.segments[0],
                          e.what());
            return error_response(http::status::internal_server_error, e.what());
        }
    }
    return path_known ? error_response(http::status::method_not_allowed, "Method not allowed")
                      : error_response(http::status::not_found, "Resource not found");
}

}  // namespace shunt::api

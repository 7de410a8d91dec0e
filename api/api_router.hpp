// ApiRouter: which endpoint answers a request — a method and a path pattern whose
// segments are literal or "{name}" (any one segment, handed to the endpoint decoded), the
// last one possibly "{*rest}" (one or more segments: static files). An
// unknown path is 404 "Resource not found", a known path with another method 405; an
// endpoint that throws answers 500 with the reason: never a crash. Most endpoints answer
// at once; an asynchronous one (a delay probe) answers through `respond` later, exactly
// once, within a deadline of its own.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/api_response.hpp"

namespace shunt::api {

// The "{name}" segments of the matched pattern, by name.
using PathParameters = std::map<std::string, std::string>;

class ApiRouter {
  public:
    using Handler = std::function<ApiResponse(const ApiRequest&, const PathParameters&)>;
    using Respond = std::function<void(ApiResponse)>;
    using AsyncHandler =
        std::function<void(const ApiRequest&, const PathParameters&, Respond respond)>;

    // `pattern`: "/proxies/{name}/delay".
    void add(boost::beast::http::verb method, std::string_view pattern, Handler handler);
    void add_async(boost::beast::http::verb method, std::string_view pattern, AsyncHandler handler);
    // Calls `respond` once: at once, or later for an asynchronous endpoint.
    void route(const ApiRequest& request, Respond respond) const;

  private:
    struct Route {
        boost::beast::http::verb method;
        std::vector<std::string> pattern;
        AsyncHandler handler;
    };
    std::vector<Route> routes_;
};

}  // namespace shunt::api

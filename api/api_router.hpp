// ApiRouter: which endpoint answers a request — a method and a path pattern whose
// segments are literal or "{name}" (any one segment, handed to the endpoint decoded). An
// unknown path is 404 "Resource not found", a known path with another method 405; an
// endpoint that throws answers 500 with the reason: never a crash.
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

    // `pattern`: "/proxies/{name}/delay".
    void add(boost::beast::http::verb method, std::string_view pattern, Handler handler);
    ApiResponse route(const ApiRequest& request) const;

  private:
    struct Route {
        boost::beast::http::verb method;
        std::vector<std::string> pattern;
        Handler handler;
    };
    std::vector<Route> routes_;
};

}  // namespace shunt::api

#include "api/api_response.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace shunt::api {

namespace http = boost::beast::http;

ApiResponse error_response(http::status status, std::string_view text) {
    ApiResponse response;
    response.status = status;
    response.body = boost::json::serialize(boost::json::value{{"message", text}});
    return response;
}

ApiResponse json_response(std::string json) {
    ApiResponse response;
    response.body = std::move(json);
    return response;
}

}  // namespace shunt::api

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

ApiResponse no_content_response() {
    ApiResponse response;
    response.status = http::status::no_content;
    return response;
}

ApiResponse not_found_response() {
    return error_response(http::status::not_found, "Resource not found");
}

ApiResponse errors_response(http::status status, const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) text += (text.empty() ? "" : "\n") + line;
    return error_response(status, text);
}

}  // namespace shunt::api

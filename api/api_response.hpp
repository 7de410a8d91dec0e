// ApiRequest / ApiResponse: what an endpoint sees and answers, apart from HTTP's framing
// (the session parses and writes; the guard has already let the request through).
// Errors are {"message": "..."} with mihomo's texts (docs/api.md §1.4).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include "api/message_queue.hpp"
#include "api/request_target.hpp"

namespace shunt::api {

struct ApiRequest {
    boost::beast::http::verb method = boost::beast::http::verb::get;
    RequestTarget target;
    std::string body;        // JSON whatever the Content-Type said (dashboards send text/plain)
    bool websocket = false;  // an upgrade request (streams answer with a WebSocket)
};

struct ApiResponse {
    boost::beast::http::status status = boost::beast::http::status::ok;
    std::string body;  // empty with 204
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    // Set for a stream: the connection then sends the feed's messages until the client
    // goes (status, body and content type are not used).
    StreamFeed stream;
};

// {"message": text} with `status`.
ApiResponse error_response(boost::beast::http::status status, std::string_view text);
// `json` (already serialized) with 200.
ApiResponse json_response(std::string json);
// 204, no body: what a change that worked answers.
ApiResponse no_content_response();
// 404 {"message":"Resource not found"}.
ApiResponse not_found_response();
// {"message": the lines joined by newlines} with `status`: a reload's or a rule set's
// errors, one "file:line:col: key: why" each.
ApiResponse errors_response(boost::beast::http::status status,
                            const std::vector<std::string>& lines);

}  // namespace shunt::api

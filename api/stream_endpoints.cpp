#include "api/stream_endpoints.hpp"

namespace shunt::api {

namespace http = boost::beast::http;

namespace {

ApiResponse stream_response(StreamFeed feed) {
    ApiResponse response;
    response.stream = std::move(feed);
    return response;
}

// mihomo's /logs levels, exactly (its lookup is case-sensitive); default info.
std::optional<LogLevel> logs_level(const RequestTarget& target) {
    const auto text = target.parameter("level");
    if (!text) return LogLevel::info;
    static constexpr std::pair<std::string_view, LogLevel> kLevels[] = {
        {"debug", LogLevel::debug}, {"info", LogLevel::info},  {"warning", LogLevel::warn},
        {"error", LogLevel::error}, {"silent", LogLevel::off},
    };
    for (const auto& [name, level] : kLevels)
        if (*text == name) return level;
    return std::nullopt;
}

}  // namespace

void add_stream_endpoints(ApiRouter& router, std::shared_ptr<TrafficSampler> sampler,
                          std::shared_ptr<LogBroadcast> logs) {
    router.add(http::verb::get, "/traffic", [sampler](const ApiRequest&, const PathParameters&) {
        return stream_response(sampler->subscribe(TrafficSampler::Kind::traffic));
    });
    router.add(http::verb::get, "/memory", [sampler](const ApiRequest&, const PathParameters&) {
        return stream_response(sampler->subscribe(TrafficSampler::Kind::memory));
    });
    router.add(http::verb::get, "/logs", [logs](const ApiRequest& request, const PathParameters&) {
        const auto level = logs_level(request.target);
        if (!level) return error_response(http::status::bad_request, "Body invalid");
        // "silent" subscribes to nothing, as in mihomo: the stream stays quiet.
        return stream_response(logs->subscribe(*level));
    });
}

}  // namespace shunt::api

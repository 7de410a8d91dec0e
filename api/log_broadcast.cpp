#include "api/log_broadcast.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/configs_endpoints.hpp"

namespace shunt::api {

namespace {

LogLevel from_spdlog(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
            return LogLevel::trace;
        case spdlog::level::debug:
            return LogLevel::debug;
        case spdlog::level::info:
            return LogLevel::info;
        case spdlog::level::warn:
            return LogLevel::warn;
        case spdlog::level::err:
        case spdlog::level::critical:
            return LogLevel::error;
        default:
            return LogLevel::off;
    }
}

std::string line_json(std::string_view type, std::string_view payload) {
    return boost::json::serialize(boost::json::object{{"type", type}, {"payload", payload}});
}

}  // namespace

StreamFeed LogBroadcast::subscribe(LogLevel level) {
    StreamFeed feed;
    feed.queue = std::make_shared<MessageQueue>(
        MessageQueue::Limits{512, 256 * 1024}, [](std::uint64_t dropped) {
            return line_json("warning", "shunt: " + std::to_string(dropped) +
                                            " log lines dropped (slow API client)");
        });
    std::lock_guard lock(subscribers_mutex_);
    subscribers_.push_back({level, feed.queue});
    return feed;
}

void LogBroadcast::sink_it_(const spdlog::details::log_msg& message) {
    const LogLevel level = from_spdlog(message.level);
    std::string json;
    std::lock_guard lock(subscribers_mutex_);
    subscribers_.remove_if([](const Subscriber& s) { return s.queue.expired(); });
    for (const auto& subscriber : subscribers_) {
        if (level < subscriber.level || level == LogLevel::off) continue;
        auto queue = subscriber.queue.lock();
        if (!queue) continue;
        if (json.empty())
            json = line_json(mihomo_log_level(level),
                             std::string_view(message.payload.data(), message.payload.size()));
        queue->push(json);
    }
}

void LogBroadcast::attach(const std::shared_ptr<LogBroadcast>& sink) {
    spdlog::default_logger()->sinks().push_back(sink);
}

void LogBroadcast::detach(const std::shared_ptr<LogBroadcast>& sink) {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
}

}  // namespace shunt::api

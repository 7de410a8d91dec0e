#include "api/traffic_sampler.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/process_memory.hpp"

namespace shunt::api {

TrafficSampler::TrafficSampler(boost::asio::any_io_executor executor, flow::FlowRegistry& registry)
    : registry_(registry), timer_(std::move(executor)) {}

StreamFeed TrafficSampler::subscribe(Kind kind) {
    StreamFeed feed;
    feed.queue = std::make_shared<MessageQueue>(MessageQueue::Limits{16, 64 * 1024});
    subscribers_.push_back({kind, feed.queue});
    if (!running_) {
        running_ = true;
        last_ = registry_.totals();
        last_at_ = std::chrono::steady_clock::now();
        arm();
    }
    return feed;
}

void TrafficSampler::arm() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        self->tick();
    });
}

void TrafficSampler::tick() {
    subscribers_.remove_if([](const Subscriber& s) { return s.queue.expired(); });
    if (subscribers_.empty()) {
        running_ = false;
        return;
    }
    const auto totals = registry_.totals();
    const auto now = std::chrono::steady_clock::now();
    // Per second even when the timer fired late on a busy loop.
    const double seconds = std::max(
        0.001, std::chrono::duration_cast<std::chrono::duration<double>>(now - last_at_).count());
    const auto rate = [seconds](std::uint64_t now_bytes, std::uint64_t then) {
        return static_cast<std::uint64_t>(static_cast<double>(now_bytes - then) / seconds + 0.5);
    };
    const std::string traffic = boost::json::serialize(boost::json::object{
        {"up", rate(totals.upload, last_.upload)},
        {"down", rate(totals.download, last_.download)},
        {"upTotal", totals.upload},
        {"downTotal", totals.download},
    });
    std::string memory;
    for (const auto& subscriber : subscribers_) {
        auto queue = subscriber.queue.lock();
        if (!queue) continue;
        if (subscriber.kind == Kind::traffic) {
            queue->push(traffic);
        } else {
            if (memory.empty())
                memory = boost::json::serialize(
                    boost::json::object{{"inuse", resident_bytes()}, {"oslimit", 0}});
            queue->push(memory);
        }
    }
    last_ = totals;
    last_at_ = now;
    arm();
}

}  // namespace shunt::api

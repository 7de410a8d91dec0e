// TrafficSampler: the once-a-second figures /traffic and /memory stream (docs/api.md §2.7)
// — bytes per second up and down from the flow registry's totals (closed flows included),
// the totals themselves, and the resident memory. One timer for every subscriber; it runs
// only while someone subscribes, so an API nobody watches costs nothing.
#pragma once

#include <chrono>
#include <list>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/message_queue.hpp"
#include "flow/flow_registry.hpp"

namespace shunt::api {

class TrafficSampler : public std::enable_shared_from_this<TrafficSampler> {
  public:
    enum class Kind { traffic, memory };

    TrafficSampler(boost::asio::any_io_executor executor, flow::FlowRegistry& registry);

    // A feed that gets a message at each tick until it is released.
    StreamFeed subscribe(Kind kind);

  private:
    struct Subscriber {
        Kind kind;
        std::weak_ptr<MessageQueue> queue;
    };

    void arm();
    void tick();

    flow::FlowRegistry& registry_;
    boost::asio::steady_timer timer_;
    std::list<Subscriber> subscribers_;
    bool running_ = false;
    flow::FlowRegistry::Totals last_{};
    std::chrono::steady_clock::time_point last_at_;
};

}  // namespace shunt::api

#include "outbound/mux/client/carrier_threads.hpp"

#include <algorithm>
#include <string>
#include <thread>

#include "net/event_loop_thread.hpp"

namespace shunt::outbound::mux {

CarrierThreads::CarrierThreads(std::size_t count) : capacity_(count) {}

CarrierThreads::~CarrierThreads() = default;

std::size_t CarrierThreads::default_count() {
    const std::size_t cores = std::thread::hardware_concurrency();
    return cores <= 1 ? 0 : std::min<std::size_t>(cores, 4);
}

void CarrierThreads::stop() {
    for (auto& thread : threads_) thread->stop();
}

EventLoopThread* CarrierThreads::next() {
    if (capacity_ == 0) return nullptr;
    const std::size_t index = turn_++ % capacity_;
    if (index == threads_.size())
        threads_.push_back(std::make_unique<EventLoopThread>("shunt-mux-" + std::to_string(index)));
    return threads_[index].get();
}

}  // namespace shunt::outbound::mux

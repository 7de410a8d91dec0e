#include "net/event_loop_thread.hpp"

#include <pthread.h>

#include <spdlog/spdlog.h>

namespace shunt {

EventLoopThread::EventLoopThread(std::string name) : work_(io_.get_executor()) {
    thread_ = std::thread([this, name = std::move(name)] {
        ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
        for (;;) {
            try {
                io_.run();
                return;
            } catch (const std::exception& e) {
                // A handler that throws is a bug; the loop must go on serving the rest.
                spdlog::error("{}: a handler failed: {}", name, e.what());
            }
        }
    });
}

EventLoopThread::~EventLoopThread() {
    stop();
}

void EventLoopThread::stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    io_.stop();
    thread_.join();
}

}  // namespace shunt

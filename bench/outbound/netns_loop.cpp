#include "bench/outbound/netns_loop.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace shunt::bench {

NetnsLoop::NetnsLoop(const std::string& netns) : work_(boost::asio::make_work_guard(io_)) {
    std::promise<std::string> entered;
    auto entered_future = entered.get_future();
    thread_ = std::thread([this, netns, &entered] {
        const int fd = ::open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
            entered.set_value("enter " + netns + ": " + std::strerror(errno));
            if (fd >= 0) ::close(fd);
            return;
        }
        ::close(fd);
        entered.set_value("");
        io_.run();
    });
    if (const auto error = entered_future.get(); !error.empty()) {
        thread_.join();
        throw std::runtime_error(error);
    }
}

NetnsLoop::~NetnsLoop() {
    stop();
}

void NetnsLoop::stop() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
}

void NetnsLoop::call(const std::function<void()>& body) {
    std::promise<void> finished;
    auto future = finished.get_future();
    boost::asio::post(io_, [&] {
        try {
            body();
            finished.set_value();
        } catch (...) {
            finished.set_exception(std::current_exception());
        }
    });
    future.get();
}

bool NetnsLoop::call_async(const std::function<void(std::function<void()> done)>& start,
                           std::chrono::milliseconds timeout) {
    // Shared: a run that times out may still call done() later, after we returned.
    auto finished = std::make_shared<std::promise<void>>();
    auto future = finished->get_future();
    auto called = std::make_shared<bool>(false);
    boost::asio::post(io_, [start, finished, called] {
        start([finished, called] {
            if (*called) return;
            *called = true;
            finished->set_value();
        });
    });
    return future.wait_for(timeout) == std::future_status::ready;
}

}  // namespace shunt::bench

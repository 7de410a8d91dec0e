// NetnsLoop: an io_context run by one thread that lives inside a network namespace, so
// every socket the outbounds, the relay listener and the request runner open is the
// client namespace's, while the benchmark's main thread stays outside and keeps starting
// programs (iperf3) in either namespace. Work is handed over with call()/call_async();
// the destructor stops the loop and joins, also when the benchmark failed half-way.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>

namespace shunt::bench {

class NetnsLoop {
  public:
    // Throws std::runtime_error when the namespace cannot be entered.
    explicit NetnsLoop(const std::string& netns);
    ~NetnsLoop();
    NetnsLoop(const NetnsLoop&) = delete;
    NetnsLoop& operator=(const NetnsLoop&) = delete;

    boost::asio::io_context& io() { return io_; }

    // Stops the loop and joins its thread; handlers not yet run never will. Objects of the
    // loop may then be destroyed from the calling thread. Idempotent.
    void stop();

    // Runs `body` on the loop's thread and waits for it; its exception is rethrown here.
    void call(const std::function<void()>& body);

    // Runs `start(done)` on the loop's thread and waits until it calls done() (from any
    // later handler on that thread). False when `timeout` passed first.
    bool call_async(const std::function<void(std::function<void()> done)>& start,
                    std::chrono::milliseconds timeout);

  private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::thread thread_;
};

}  // namespace shunt::bench

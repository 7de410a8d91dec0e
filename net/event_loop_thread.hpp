// EventLoopThread: an io_context run by a thread of its own, for work that must not wait
// behind the main loop (the DNS answer thread; later the mux carriers' TLS). Objects bound
// to its executor are used only from that thread; other threads reach them with post()
// or, when they need the result before going on, call().
//
// The thread carries a name (ps -L, /proc/PID/task/*/comm, the benches' per-thread CPU).
// stop() is idempotent and joins; handlers still queued are destroyed with the io_context,
// on the thread that destroys this object.
#pragma once

#include <exception>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace shunt {

class EventLoopThread {
  public:
    // `name`: at most 15 characters (the kernel's limit; longer is cut).
    explicit EventLoopThread(std::string name);
    ~EventLoopThread();
    EventLoopThread(const EventLoopThread&) = delete;
    EventLoopThread& operator=(const EventLoopThread&) = delete;

    boost::asio::io_context::executor_type executor() { return io_.get_executor(); }
    bool running_in_this_thread() { return io_.get_executor().running_in_this_thread(); }

    // Runs `work` on the loop's thread and waits for it; its result or exception comes
    // back to the caller. Runs inline when called from the loop's thread. After stop(),
    // runs inline too: nothing else touches the loop's objects any more.
    template <class Work>
    auto call(Work&& work) -> std::invoke_result_t<Work&> {
        if (!thread_.joinable() || running_in_this_thread()) return work();
        std::packaged_task<std::invoke_result_t<Work&>()> task(std::forward<Work>(work));
        auto result = task.get_future();
        boost::asio::post(io_, [&task] { task(); });
        return result.get();
    }

    // Finishes the handler running now, then stops the loop and joins the thread.
    void stop();

  private:
    boost::asio::io_context io_{1};
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::thread thread_;
};

}  // namespace shunt

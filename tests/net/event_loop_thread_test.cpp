// EventLoopThread: work posted to it runs on its own named thread; call() brings results
// and exceptions back; a throwing handler does not end the loop; stop() joins once.
#include "net/event_loop_thread.hpp"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>
#include <string>

namespace shunt {
namespace {

std::string thread_name(pid_t tid) {
    std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/comm");
    std::string name;
    std::getline(in, name);
    return name;
}

pid_t current_tid() {
    return static_cast<pid_t>(::syscall(SYS_gettid));
}

TEST(EventLoopThread, RunsWorkOnItsOwnNamedThread) {
    EventLoopThread loop("test-loop-name-too-long");
    const pid_t tid = loop.call([] { return current_tid(); });
    EXPECT_NE(tid, current_tid());
    EXPECT_EQ(thread_name(tid), "test-loop-name-") << "cut to the kernel's 15 characters";
    EXPECT_FALSE(loop.running_in_this_thread());
    EXPECT_TRUE(loop.call([&] { return loop.running_in_this_thread(); }));
}

TEST(EventLoopThread, CallBringsBackExceptionsAndNestedCallsRunInline) {
    EventLoopThread loop("test-loop");
    EXPECT_THROW(loop.call([]() -> int { throw std::runtime_error("boom"); }), std::runtime_error);
    EXPECT_EQ(loop.call([&] { return loop.call([] { return 7; }); }), 7)
        << "a call from the loop itself must not wait for itself";
}

TEST(EventLoopThread, AThrowingHandlerDoesNotStopTheLoop) {
    EventLoopThread loop("test-loop");
    boost::asio::post(loop.executor(), [] { throw std::runtime_error("handler bug"); });
    EXPECT_EQ(loop.call([] { return 1; }), 1);
}

TEST(EventLoopThread, StopJoinsOnceAndLaterCallsRunInline) {
    EventLoopThread loop("test-loop");
    std::atomic<int> ran{0};
    for (int i = 0; i < 100; ++i) boost::asio::post(loop.executor(), [&] { ++ran; });
    loop.call([] {});  // everything posted before has run
    EXPECT_EQ(ran.load(), 100);
    loop.stop();
    loop.stop();
    EXPECT_EQ(loop.call([] { return current_tid(); }), current_tid());
}

}  // namespace
}  // namespace shunt

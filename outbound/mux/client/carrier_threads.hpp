// CarrierThreads: the worker threads mux carriers run on (TLS and framing off the netstack
// thread, docs/architecture.md "Threads"). One set per process, handed to every mux proxy;
// a proxy's carriers take the threads in turn, so two carriers of one proxy, or of two
// proxies, land on different threads. Threads start on first use: a configuration without
// mux proxies starts none.
//
// Everything that runs on these threads lives in carrier pools and the streams they made;
// the threads (the objects, not necessarily running) outlive them.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace shunt {
class EventLoopThread;
}

namespace shunt::outbound::mux {

class CarrierThreads {
  public:
    // At most `count` threads; 0 keeps every carrier on the caller's loop.
    explicit CarrierThreads(std::size_t count);
    ~CarrierThreads();
    CarrierThreads(const CarrierThreads&) = delete;
    CarrierThreads& operator=(const CarrierThreads&) = delete;

    // One thread per core, at most 4 (the netstack thread shares a core with one; an idle
    // thread costs nothing); none on a single core, where a hand-off between threads
    // costs more than it spreads.
    static std::size_t default_count();

    // The next thread in turn (started now if it was not); nullptr when count is 0.
    EventLoopThread* next();
    // Stops and joins every thread; what is still queued there is destroyed with this
    // object. Afterwards streams and pools on them are used inline (nothing runs there
    // any more): the owner calls it once its own loop has stopped, before tearing down.
    void stop();

    std::size_t capacity() const { return capacity_; }
    std::size_t started() const { return threads_.size(); }

  private:
    std::size_t capacity_;
    std::size_t turn_ = 0;
    std::vector<std::unique_ptr<EventLoopThread>> threads_;
};

}  // namespace shunt::outbound::mux

// A TCP forwarder that delays everything flowing back to its clients, running on its own
// thread inside a network namespace: the stand-in for `tc netem delay` on kernels built
// without netem (sch_netem is missing here). Each chunk the target sends waits `delay`
// before it is forwarded, so a request/response round trip through it is `delay` slower.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace shunt::test {

class DelayingForwarder {
  public:
    // Listens on LISTEN_ADDRESS:PORT in `netns` and forwards to TARGET_ADDRESS:TARGET_PORT.
    DelayingForwarder(const std::string& netns, const std::string& listen_address, int port,
                      const std::string& target_address, int target_port,
                      std::chrono::milliseconds delay);
    ~DelayingForwarder();
    DelayingForwarder(const DelayingForwarder&) = delete;
    DelayingForwarder& operator=(const DelayingForwarder&) = delete;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::thread thread_;
};

}  // namespace shunt::test

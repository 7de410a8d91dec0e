// Runs the rest of a test inside a fresh network namespace of its own: created with
// `ip netns add` (so `ip netns exec NAME` and `ip -n NAME` reach it too), entered with
// setns() on the calling thread only, and left and deleted by the destructor, also when
// the test fails. Sockets, TUN devices and netlink sockets the thread opens meanwhile
// belong to the namespace; deleting it removes every device created inside.
#pragma once

#include <string>

namespace shunt::test {

class NetnsGuard {
  public:
    // The name is `prefix` plus the pid and a counter, unique per process. Brings `lo` up.
    // Throws std::runtime_error / std::system_error when the namespace cannot be made.
    explicit NetnsGuard(const std::string& prefix = "shunt-t");
    NetnsGuard(const NetnsGuard&) = delete;
    NetnsGuard& operator=(const NetnsGuard&) = delete;
    // Returns the thread to the namespace it was in, then deletes this one.
    ~NetnsGuard();

    const std::string& name() const { return name_; }

  private:
    std::string name_;
    int original_fd_ = -1;
};

}  // namespace shunt::test

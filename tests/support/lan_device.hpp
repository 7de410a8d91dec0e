// A LAN device behind a router: namespace `lan` with eth0 10.201.N.2/24, joined by a veth
// to the router (an E2eTopology's client namespace: lan0, 10.201.N.1/24), default route
// via the router, which forwards. Removed by the destructor, also when a test fails.
#pragma once

#include <string>
#include <vector>

#include "tests/support/e2e_topology.hpp"

namespace shunt::test {

class LanDevice {
  public:
    explicit LanDevice(const E2eTopology& topology);
    ~LanDevice();
    LanDevice(const LanDevice&) = delete;
    LanDevice& operator=(const LanDevice&) = delete;

    const std::string& name() const { return name_; }
    std::string router() const { return prefix_ + "1"; }
    std::string address() const { return prefix_ + "2"; }
    static constexpr const char* kRouterLink = "lan0";

    // Deletes the veth pair (the router's lan0 goes away), and makes it again.
    void unplug();
    void plug();

  private:
    const E2eTopology& topology_;
    std::string name_;
    std::string prefix_;
};

}  // namespace shunt::test

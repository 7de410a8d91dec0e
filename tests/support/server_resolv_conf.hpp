// Programs in an E2eTopology's server namespace that resolve with the system resolver
// (dante, microsocks) ask the namespace's unbound: `ip netns exec` mounts
// /etc/netns/<ns>/resolv.conf over /etc/resolv.conf. The topology removes the directory
// with the namespace.
#pragma once

#include <filesystem>
#include <fstream>

#include "tests/support/e2e_topology.hpp"

namespace shunt::test {

struct ServerResolvConf {
    explicit ServerResolvConf(const E2eTopology& topology) {
        const std::string dir = "/etc/netns/" + topology.server_ns();
        std::filesystem::create_directories(dir);
        std::ofstream(dir + "/resolv.conf") << "nameserver " << topology.server_v4() << "\n";
    }
};

}  // namespace shunt::test

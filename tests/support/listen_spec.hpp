// Where a test's server program listens: 127.0.0.1 on a free port in the current network
// namespace by default, or inside `netns` (started through `ip netns exec`).
#pragma once

#include <string>

namespace shunt::test {

struct ListenSpec {
    std::string netns;
    std::string address = "127.0.0.1";
    int port = 0;  // 0: a free port
};

}  // namespace shunt::test

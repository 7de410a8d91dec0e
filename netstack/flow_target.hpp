// Which outbound a rule target names, for the TCP and UDP flow routers alike.
#pragma once

#include <string_view>

namespace shunt::netstack {

// DIRECT, or GLOBAL: the GLOBAL selector has no proxies to choose from yet, so its only
// member is DIRECT (proxies and groups come with the proxy issue).
inline bool is_direct_target(std::string_view target) {
    return target == "DIRECT" || target == "GLOBAL";
}

}  // namespace shunt::netstack

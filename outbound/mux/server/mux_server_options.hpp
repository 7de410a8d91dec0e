// What `shunt mux-server` runs with: the [mux_server] section of its config.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "net/connect_timeout.hpp"
#include "net/ip_address.hpp"
#include "outbound/mux/server/target_policy.hpp"
#include "outbound/mux/session/mux_carrier.hpp"

namespace shunt::outbound::mux {

struct MuxServerOptions {
    std::vector<Endpoint> listen;
    std::string password;
    std::string cert_file;                                              // PEM
    std::string key_file;                                               // PEM
    std::chrono::milliseconds connect_timeout{kDefaultConnectTimeout};  // opening a target
    std::chrono::milliseconds auth_timeout{10'000};                     // TLS handshake + AUTH
    std::size_t max_carriers = 256;
    std::chrono::seconds udp_idle_timeout{120};
    TargetPolicy targets;    // which addresses clients may reach (default: public ones only)
    CarrierOptions carrier;  // max_streams = max_streams_per_carrier; keepalive timeout 120 s
};

}  // namespace shunt::outbound::mux

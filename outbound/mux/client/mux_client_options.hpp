// What a mux client needs to reach its server: one [[proxies]] entry with type = "mux".
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "net/connect_timeout.hpp"
#include "outbound/mux/session/mux_carrier.hpp"

namespace shunt::outbound::mux {

struct MuxClientOptions {
    std::string name;    // the proxy's name (logs)
    std::string server;  // address or host name
    std::uint16_t port = 0;
    std::string password;
    std::string ca_file;                                      // "" : fingerprint or system store
    std::optional<std::array<std::uint8_t, 32>> fingerprint;  // SHA-256 of the DER certificate
    std::string sni;                                          // name to verify and send; "" none
    std::size_t carriers = 2;
    bool udp = true;
    std::uint32_t routing_mark = 0;
    std::chrono::milliseconds connect_timeout{kDefaultConnectTimeout};
    CarrierOptions carrier;
};

}  // namespace shunt::outbound::mux

// One configured SOCKS5 proxy (a `[[proxies]]` entry with type = "socks5").
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "net/connect_timeout.hpp"

namespace shunt::outbound {

struct Socks5Options {
    std::string name;
    std::string server;  // an IP address or a host name (resolved through AddressLookup)
    std::uint16_t port = 1080;
    // Username/password (RFC 1929) is offered only when `username` is non-empty.
    std::string username, password;
    bool udp = false;  // UDP ASSOCIATE for UDP flows
    std::uint32_t routing_mark = 0;
    // Resolving the server, dialing it and the whole handshake, together.
    std::chrono::milliseconds connect_timeout{kDefaultConnectTimeout};
};

}  // namespace shunt::outbound

// How long shunt waits for a connection it opens — a direct dial, a SOCKS5 or mux proxy, a
// mux-server's target — unless the config says otherwise ([tun] connect_timeout_ms,
// [mux_server] connect_timeout_ms). One value: every outbound gives up at the same moment,
// so a group's members and their fallbacks are judged alike.
#pragma once

#include <chrono>

namespace shunt {

inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{10'000};

}  // namespace shunt

// Where built packets go: the TUN device's write side. Called synchronously with a packet
// that lives only for the call; the writer copies or writes it at once (a TUN write of one
// packet does not block for long, and a full queue means the packet is dropped, as a NIC
// would).
#pragma once

#include <cstdint>
#include <functional>
#include <span>

namespace shunt::netstack {

using PacketWriter = std::function<void(std::span<const std::uint8_t> packet)>;

}  // namespace shunt::netstack

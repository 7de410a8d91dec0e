// The process's resident memory, as /memory and /connections report it.
#pragma once

#include <cstdint>

namespace shunt::api {

// Bytes of RSS from /proc/self/statm; 0 when it cannot be read.
std::uint64_t resident_bytes();

}  // namespace shunt::api

#pragma once

namespace shunt {
inline constexpr const char* kVersion = "0.1.0";
}

// Reading a file a config names (the config itself, rule sets, IP sets, CA bundles,
// GeoIP data): only a regular file of bounded size. Anything else would hang or exhaust
// the reader — a FIFO blocks the opener until a writer comes, /dev/zero never ends, a
// multi-gigabyte file would be read whole — in `shunt check`, at start or at a reload.
// The file is opened without blocking and checked with fstat before a byte is read.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace shunt {

// Why `path` cannot be read as a regular file ("it is a directory", "not a regular file
// (a fifo)", "larger than 256 MiB", strerror's text), or "" when it can.
std::string why_not_readable_file(const std::string& path, std::size_t max_bytes);

// The whole content, or nullopt with the reason in `error`.
std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes,
                                             std::string* error = nullptr);

// What config-named files may hold at most: ten times the largest rule set seen in use
// (a 1,000,000-line domain list is 24 MB).
inline constexpr std::size_t kMaxConfiguredFileBytes = std::size_t{256} << 20;
// The config file itself (examples/full.toml is 30 KB).
inline constexpr std::size_t kMaxConfigFileBytes = std::size_t{16} << 20;
// A PEM certificate, key or CA bundle (Debian's whole CA bundle is 0.2 MB).
inline constexpr std::size_t kMaxPemFileBytes = std::size_t{4} << 20;

}  // namespace shunt

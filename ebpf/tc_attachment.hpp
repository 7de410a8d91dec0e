// The router's hook: shunt's tc program on the ingress of a LAN interface, as one filter
// of the clsact qdisc at a fixed handle and priority (0x162, like the routes' protocol
// marker). The qdisc is created when missing and never removed: other filters (SQM,
// another tool's programs) may live beside ours, and only our filter is ever touched.
//
// After kill -9 the filter stays (tc filters are not tied to a process); the next start,
// or `shunt cleanup`, finds it by handle and priority and, where the kernel lets us read
// it (CAP_SYS_ADMIN), by its program's name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shunt::ebpf {

inline constexpr std::uint32_t kTcHandle = 0x162;
inline constexpr std::uint32_t kTcPriority = 0x162;
inline constexpr const char* kTcProgramName = "shunt_tc_bypass";

class TcAttachment {
  public:
    // Attaches (or replaces ours at) ingress of `ifindex`. Throws EbpfError.
    static void attach(int ifindex, int program_fd);
    // Removes our filter; false when there was none. Never throws.
    static bool detach(int ifindex);
    // The id of the program in our filter slot of `ifindex`, if there is one.
    static std::optional<std::uint32_t> attached_program(int ifindex);
    // Every interface: removes filters in our slot whose program is shunt's (or cannot be
    // named without CAP_SYS_ADMIN). Returns the interfaces cleaned, for the log.
    static std::vector<std::string> remove_leftovers();
};

}  // namespace shunt::ebpf

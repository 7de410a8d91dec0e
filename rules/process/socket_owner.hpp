// The process that owns a local socket: what PROCESS-NAME and PROCESS-PATH rules match.
//
// For traffic from this host, the engine knows a flow's source endpoint (seen on the
// TUN device) and asks which process holds that socket. find_socket_owner goes through
// one process-wide ProcessCache (see process_cache.hpp for the cost model); an engine
// that wants its own limits or statistics owns a ProcessCache instead.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "net/ip_address.hpp"
#include "rules/parse/rule_spec.hpp"

namespace shunt::rules {

struct SocketOwner {
    std::uint32_t uid = 0;
    pid_t pid = 0;
    // Basename of `path`, as Clash reports it (e.g. "python3.11" for /usr/bin/python3);
    // /proc/PID/comm when the executable cannot be read (kernel threads, exited).
    std::string name;
    // readlink(/proc/PID/exe) with the kernel's " (deleted)" suffix removed.
    std::string path;
    friend bool operator==(const SocketOwner&, const SocketOwner&) = default;
};

// nullopt when no socket holds `local`, or its process cannot be found within the
// cache's scan budget. `remote` narrows TCP lookups to one connection (faster, exact).
std::optional<SocketOwner> find_socket_owner(Network network, const Endpoint& local,
                                             const std::optional<Endpoint>& remote);

// Fills name and path of `pid` from /proc; false when the process is gone.
bool read_process_identity(pid_t pid, SocketOwner& owner);

}  // namespace shunt::rules

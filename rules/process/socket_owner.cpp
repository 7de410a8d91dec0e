#include "rules/process/socket_owner.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string_view>

#include "rules/process/process_cache.hpp"

namespace shunt::rules {

std::optional<SocketOwner> find_socket_owner(Network network, const Endpoint& local,
                                             const std::optional<Endpoint>& remote) {
    // One cache for the whole program: the rate limit on /proc scans only means
    // something if every caller shares it.
    static ProcessCache cache;
    return cache.find(network, local, remote);
}

bool read_process_identity(pid_t pid, SocketOwner& owner) {
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%d/exe", static_cast<int>(pid));
    char target[4096];
    const ssize_t length = ::readlink(path, target, sizeof target);
    if (length > 0 && static_cast<std::size_t>(length) < sizeof target) {
        std::string_view exe(target, static_cast<std::size_t>(length));
        // An upgraded binary still runs from its old inode; name it by its path anyway.
        constexpr std::string_view deleted = " (deleted)";
        if (exe.ends_with(deleted)) exe.remove_suffix(deleted.size());
        owner.path.assign(exe);
        const auto slash = exe.rfind('/');
        owner.name.assign(slash == std::string_view::npos ? exe : exe.substr(slash + 1));
        return true;
    }
    // Kernel threads have no exe; a zombie neither. comm still names them.
    std::snprintf(path, sizeof path, "/proc/%d/comm", static_cast<int>(pid));
    std::ifstream comm(path);
    std::string name;
    if (!comm || !std::getline(comm, name)) return false;
    owner.path.clear();
    owner.name = std::move(name);
    return true;
}

}  // namespace shunt::rules

// system_dns = "resolv.conf": /etc/resolv.conf rewritten to name shunt's DNS while shunt
// runs, the original kept and put back. The file shunt writes names its backup on a
// marker line, so whoever finds it (a restart after kill -9, `shunt cleanup`) restores the
// original without knowing the config that wrote it. docs/system-dns.md.
#pragma once

#include <optional>
#include <string>

#include "net/ip_address.hpp"

namespace shunt::netstack {

inline constexpr const char* kSystemResolvConf = "/etc/resolv.conf";

class ResolvConfFile {
  public:
    // `path` is the resolv.conf to manage; the original goes to `backup_path` (its
    // directory is created).
    ResolvConfFile(std::string path, std::string backup_path);
    ResolvConfFile(const ResolvConfFile&) = delete;
    ResolvConfFile& operator=(const ResolvConfFile&) = delete;
    // Calls restore().
    ~ResolvConfFile();

    // Restores a leftover of a crashed run first, then saves the original (a regular
    // file's bytes, a symlink as a symlink, or that there was none) and writes a file that
    // names `server` (the original's search and options lines kept). A symlink is
    // replaced, not written through: its target belongs to another program (NetworkManager,
    // resolvconf). A file that is a mount point (containers, `ip netns exec`) is written in
    // place. Throws std::runtime_error naming the step; nothing is changed then.
    void apply(const IpAddress& server);
    // Puts the original back. Idempotent; never throws (failures are logged).
    void restore() noexcept;
    bool applied() const { return applied_; }

    // When `path` carries shunt's marker, puts back the original the marker names and
    // says what it did ("restored /etc/resolv.conf from ...") or why it could not;
    // std::nullopt when the file is not shunt's. Never throws.
    struct Leftover {
        bool restored = false;
        std::string message;
    };
    static std::optional<Leftover> restore_leftover(const std::string& path);

  private:
    std::string path_;
    std::string backup_path_;
    bool applied_ = false;
};

}  // namespace shunt::netstack

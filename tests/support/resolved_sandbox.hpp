// A systemd-resolved of the test's own, in the E2eTopology's client namespace, on a D-Bus
// of its own (dbus-daemon with a config in a temporary directory): shunt and resolvectl
// reach it through DBUS_SYSTEM_BUS_ADDRESS, so the machine's own resolver and bus are
// never touched. resolved is Debian's binary, unpacked (not installed: installing it would
// take over the machine's /etc/resolv.conf) by scripts/setup.sh into kResolvedRoot. It
// runs as nobody with the capabilities it needs, in a mount namespace where /run/systemd
// is a tmpfs and /etc/resolv.conf an empty file (it would otherwise import the machine's
// nameservers).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/e2e_topology.hpp"

namespace shunt::test {

class ResolvedSandbox {
  public:
    static constexpr const char* kResolvedRoot = "/var/cache/shunt-tests/systemd-resolved/current";

    explicit ResolvedSandbox(const E2eTopology& topology);
    ~ResolvedSandbox();
    ResolvedSandbox(const ResolvedSandbox&) = delete;
    ResolvedSandbox& operator=(const ResolvedSandbox&) = delete;

    // "DBUS_SYSTEM_BUS_ADDRESS=unix:path=...": for shunt's environment.
    std::string bus_env() const;
    // Starts resolved (again) and waits until it answers on the bus; throws with its log.
    void start();
    // SIGKILL: resolved is gone with every setting it held.
    void kill();
    // `resolvectl ARGS...` in the client namespace, on this bus.
    CommandResult resolvectl(const std::vector<std::string>& args) const;
    // The directory holding the unpacked resolvectl (for PATH).
    static std::string bin_directory();
    std::string log() const;

  private:
    const E2eTopology& topology_;
    TempDir dir_;
    std::unique_ptr<ChildProcess> bus_;
    std::unique_ptr<ChildProcess> resolved_;
};

}  // namespace shunt::test

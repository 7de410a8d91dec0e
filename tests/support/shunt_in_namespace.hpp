// shunt itself running in an E2eTopology's client namespace with its TUN device: the
// "client machine" of the end-to-end tests. The config points shunt's upstream at the
// server namespace's unbound, and /etc/netns/<client>/resolv.conf (which `ip netns exec`
// mounts over /etc/resolv.conf) points the client's programs at shunt, so `curl NAME`
// resolves through shunt's fake-IP DNS exactly as on a real desktop.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/e2e_topology.hpp"

namespace shunt::test {

class ShuntInNamespace {
  public:
    struct Options {
        std::string extra_dns;  // more lines for [dns]
        std::string extra_tun;  // more lines for [tun]
        std::string top_level;  // lines before the first section (mode, rules)
        std::vector<std::string> dns_listen = {"127.0.0.1:53"};  // [dns] listen
        std::string extra_sections = "";    // whole sections after [tun] ("[api]\nsecret = ...")
        std::vector<std::string> env = {};  // NAME=VALUE for shunt's environment
        // argv put before shunt's own (capsh dropping capabilities, for instance).
        std::vector<std::string> command_prefix = {};
        // Enter the namespace with nsenter, keeping the host's /sys (`ip netns exec` mounts
        // a fresh sysfs, which hides the cgroup mounts the desktop bypass attaches to).
        bool keep_host_sys = false;
        // [log] level: debug for tests (their failures print the log); the soak's hours
        // of flows want info.
        std::string log_level = "debug";
    };

    ShuntInNamespace(const E2eTopology& topology, Options options);
    ~ShuntInNamespace();
    ShuntInNamespace(const ShuntInNamespace&) = delete;
    ShuntInNamespace& operator=(const ShuntInNamespace&) = delete;

    // Starts shunt (again, e.g. after kill()) and waits until its DNS answers and the TUN
    // device is up; throws std::runtime_error with shunt's log otherwise.
    void start();
    // Starts shunt and waits for it to exit (a start-up failure): its exit status.
    std::optional<int> start_expecting_exit(
        std::chrono::milliseconds timeout = std::chrono::seconds(15));
    // SIGTERM; returns the exit status (nullopt if it did not exit in time).
    std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    void kill9();
    // Writes the config anew from `options`, sends SIGHUP and waits until shunt logged the
    // outcome: true when it reloaded, false when it kept the running configuration.
    bool reload(const Options& options);
    // The same without waiting for the outcome (a storm of reloads).
    void send_reload(const Options& options);

    // `dig +short NAME TYPE` at shunt from the client namespace: the first answer line.
    std::string resolve(const std::string& name, const std::string& type = "A") const;
    pid_t pid() const { return process_ ? process_->pid() : 0; }
    int open_fds() const;  // of the running shunt
    // Polls until shunt holds at most `count` descriptors (its flows and sockets closed):
    // the last count seen.
    int wait_for_fds_at_most(int count,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    std::string log() const;
    std::string log_path() const { return dir_.file("shunt.log"); }
    static constexpr const char* kTunName = "shunt-e2e0";

  private:
    void spawn();
    void write_config(const Options& options);

    const E2eTopology& topology_;
    TempDir dir_;
    std::string resolv_dir_;
    std::unique_ptr<ChildProcess> process_;
    std::vector<std::string> options_env_;
    std::vector<std::string> command_prefix_;
    bool keep_host_sys_ = false;
};

}  // namespace shunt::test

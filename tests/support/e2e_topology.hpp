// The end-to-end test network: two network namespaces of the test's own, "client" (where
// shunt runs with its TUN) and "server" (the web target and shunt's DNS upstream),
// joined by a veth pair. The server also owns "web" addresses that are NOT on the veth
// subnet, so the client reaches them only through its default route: exactly the
// traffic a TUN route (or auto_route) captures. unbound runs in the server namespace on
// the server's veth addresses, port 53, with the e2e.test zone below.
//
//   client ns  e2e-c 10.200.N.2/24  fd00:200:N::2/64   default via .1 / ::1
//   server ns  e2e-s 10.200.N.1/24  fd00:200:N::1/64
//              lo    203.0.113.10/32 203.0.113.11/32 2001:db8:200::10/128 2001:db8:200::11/128
//
// Everything is removed by the destructor, also when a test fails; a topology left by a
// crashed earlier run (same names, or any shunt-e2e-* namespace whose pid is gone) is
// removed first. Needs root.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/unbound_server.hpp"

namespace shunt::test {

class E2eTopology {
  public:
    // Names served by the topology's unbound (zone "e2e.test.", static: others NXDOMAIN).
    static constexpr const char* kWebSite = "www.e2e.test";        // A 203.0.113.10
    static constexpr const char* kSecondSite = "second.e2e.test";  // A 203.0.113.11
    static constexpr const char* kV6OnlySite = "v6only.e2e.test";  // AAAA 2001:db8:200::10
    static constexpr const char* kDualSite = "dual.e2e.test";      // A .10 and AAAA ::10
    static constexpr const char* kWebV4 = "203.0.113.10";
    static constexpr const char* kSecondWebV4 = "203.0.113.11";
    static constexpr const char* kWebV6 = "2001:db8:200::10";
    static constexpr const char* kSecondWebV6 = "2001:db8:200::11";
    static constexpr int kDnsPort = 53;

    struct Options {
        bool start_dns = true;
        // More records for the server's unbound, zone-file syntax within e2e.test.:
        // "extra.e2e.test. 300 IN A 203.0.113.11".
        std::vector<std::string> extra_dns_records;
    };

    explicit E2eTopology(Options options);
    E2eTopology() : E2eTopology(Options{.start_dns = true, .extra_dns_records = {}}) {}
    ~E2eTopology();
    E2eTopology(const E2eTopology&) = delete;
    E2eTopology& operator=(const E2eTopology&) = delete;

    // "shunt-e2e-client-<pid>" / "shunt-e2e-server-<pid>" (a "-<k>" suffix for a second
    // topology alive in the same process).
    const std::string& client_ns() const { return client_.name; }
    const std::string& server_ns() const { return server_.name; }
    static constexpr const char* kClientVeth = "e2e-c";  // the client's interface
    static constexpr const char* kServerVeth = "e2e-s";  // the server's interface

    int subnet_index() const { return index_; }  // N above, 1..250
    std::string client_v4() const;               // 10.200.N.2
    std::string server_v4() const;               // 10.200.N.1 (client's v4 gateway, DNS)
    std::string client_v6() const;               // fd00:200:N::2
    std::string server_v6() const;               // fd00:200:N::1 (client's v6 gateway, DNS)

    // The server's unbound; nullptr when Options::start_dns was false.
    const UnboundServer* dns() const { return dns_.get(); }

    // Runs a command to completion inside a namespace (ip netns exec).
    CommandResult run_in_client(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
    CommandResult run_in_server(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
    // The same through `sh -c SCRIPT` (pipes, redirections).
    CommandResult shell_in_client(const std::string& script, std::chrono::milliseconds timeout =
                                                                 std::chrono::seconds(30)) const;
    CommandResult shell_in_server(const std::string& script, std::chrono::milliseconds timeout =
                                                                 std::chrono::seconds(30)) const;

    // Starts a long-running program inside a namespace; `options.netns` is overwritten.
    std::unique_ptr<ChildProcess> spawn_in_client(std::vector<std::string> argv,
                                                  ChildProcess::Options options = {}) const;
    std::unique_ptr<ChildProcess> spawn_in_server(std::vector<std::string> argv,
                                                  ChildProcess::Options options = {}) const;

    // Pids of every process inside a namespace (`ip netns pids`).
    static std::vector<pid_t> pids_in(const std::string& netns);
    // Kills every process inside `netns` and deletes it; no-op when it does not exist.
    static void remove_namespace(const std::string& netns);

  private:
    // An `ip netns add`-ed namespace, emptied and deleted on destruction: a member, so a
    // constructor that throws half-way still removes what it made.
    struct OwnedNamespace {
        explicit OwnedNamespace(std::string name);
        ~OwnedNamespace();
        OwnedNamespace(const OwnedNamespace&) = delete;
        OwnedNamespace& operator=(const OwnedNamespace&) = delete;
        std::string name;
    };

    void build_network() const;
    void start_dns(const Options& options);

    int instance_;  // topologies made by this process so far, for unique names
    int index_;
    OwnedNamespace client_;
    OwnedNamespace server_;
    std::unique_ptr<UnboundServer> dns_;
};

}  // namespace shunt::test

// A real unbound on 127.0.0.1 serving only test zones from local-data: every other
// name is REFUSED, so a test can never make it query the Internet. Optionally also
// serves DNS over TLS with a test certificate. Stopped (and its files removed) with
// the object.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::test {

class UnboundServer {
  public:
    struct Options {
        // Zones answered from local_data ("static": names without data get NXDOMAIN).
        std::vector<std::string> local_zones = {"test."};
        // Records in zone-file syntax: "www.test. 300 IN A 192.0.2.1".
        std::vector<std::string> local_data;
        // When set, DNS over TLS is served on tls_port() with this certificate.
        std::optional<TestCertificate> tls;
    };

    // Where unbound listens. The default is 127.0.0.1 on a free port in the test's own
    // namespace. Inside a namespace the test created (`netns`), every client is
    // allowed: nothing outside that namespace can reach it anyway.
    struct Listen {
        std::string netns;
        std::vector<std::string> addresses = {"127.0.0.1"};  // v4 and/or v6
        int port = 0;                                        // 0: a free port
    };

    // Starts unbound and waits until it accepts connections; throws
    // std::runtime_error with unbound's log when it does not come up.
    explicit UnboundServer(Options options);
    UnboundServer(Options options, Listen listen);
    ~UnboundServer();
    UnboundServer(const UnboundServer&) = delete;
    UnboundServer& operator=(const UnboundServer&) = delete;

    int port() const { return port_; }          // UDP and TCP
    int tls_port() const { return tls_port_; }  // 0 without Options::tls
    pid_t pid() const { return process_->pid(); }
    std::string log() const;

  private:
    TempDir dir_;
    int port_ = 0;
    int tls_port_ = 0;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace shunt::test

// `shunt mux-server` as a process in an E2eTopology's server namespace, resolving target
// names with that namespace's unbound, at SERVER_V4:port with a TestCa certificate. It
// can be killed (SIGKILL, as a crash) and started again on the same address, for the
// fault tests.
#pragma once

#include <memory>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/e2e_topology.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::test {

class MuxServerProcess {
  public:
    static constexpr int kDefaultPort = 8443;

    // Starts it and waits for its port; throws std::runtime_error with its log otherwise.
    MuxServerProcess(const E2eTopology& topology, const TestCertificate& certificate,
                     const std::string& password, int port = kDefaultPort);

    void kill9();
    // After kill9(): the same server again, its log continuing in the same file.
    void restart();
    std::string log() const;
    pid_t pid() const { return process_ ? process_->pid() : 0; }
    int port() const { return port_; }

  private:
    void spawn();

    const E2eTopology& topology_;
    int port_;
    TempDir dir_;
    std::unique_ptr<ChildProcess> process_;
    int runs_ = 0;
};

}  // namespace shunt::test

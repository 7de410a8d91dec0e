// The real shunt binary, started by a test with a config it writes, and `dig` to query
// it. The process is killed (and its group) when the object goes away.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace shunt::test {

class ShuntProcess {
  public:
    // Writes `config` to DIR/shunt.toml and starts `shunt run -c` on it; waits until
    // `dns_port` on 127.0.0.1 accepts TCP. Throws std::runtime_error (with shunt's log)
    // if it does not come up.
    ShuntProcess(const TempDir& dir, const std::string& config, int dns_port);
    ~ShuntProcess();

    void signal(int signal) { child_->signal(signal); }
    std::optional<int> wait(std::chrono::milliseconds timeout) { return child_->wait(timeout); }
    void kill() { child_->kill(); }
    bool running() { return child_->running(); }
    std::string log() const;
    const std::string& config_path() const { return config_path_; }
    int dns_port() const { return dns_port_; }

  private:
    std::string config_path_;
    std::string log_path_;
    int dns_port_;
    std::unique_ptr<ChildProcess> child_;
};

// `dig @127.0.0.1 -p PORT +short NAME TYPE [extra...]`; returns dig's output lines.
struct DigResult {
    int exit_code = -1;
    std::string out;
    std::vector<std::string> lines() const;
    std::string status() const;  // "NOERROR", "SERVFAIL", … from the full output
};
DigResult dig(int port, const std::string& name, const std::string& type = "A",
              std::vector<std::string> extra = {});

}  // namespace shunt::test

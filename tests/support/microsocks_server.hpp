// A real microsocks SOCKS5 server for interop and e2e tests: CONNECT only (microsocks has
// no UDP ASSOCIATE; it answers reply 7, command not supported), without authentication or
// with one username/password given on its command line. Killed with the object.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/listen_spec.hpp"

namespace shunt::test {

class MicrosocksServer {
  public:
    struct Options {
        std::string username = "";  // authentication required when non-empty
        std::string password = "";
        std::string bind = "";  // the address outgoing connections come from ("": the kernel's)
    };
    using Listen = ListenSpec;

    // Starts microsocks and waits for its port; throws std::runtime_error when it does
    // not come up.
    explicit MicrosocksServer(Options options);
    MicrosocksServer(Options options, Listen listen);
    ~MicrosocksServer();
    MicrosocksServer(const MicrosocksServer&) = delete;
    MicrosocksServer& operator=(const MicrosocksServer&) = delete;

    int port() const { return port_; }
    const std::string& address() const { return address_; }
    pid_t pid() const { return process_->pid(); }
    std::string log() const;

  private:
    TempDir dir_;
    std::string address_;
    int port_ = 0;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace shunt::test

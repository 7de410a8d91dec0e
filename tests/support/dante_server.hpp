// A real dante SOCKS5 server (danted, foreground, one worker set) for interop and e2e
// tests: CONNECT and UDP ASSOCIATE, without authentication or with username/password
// checked against a system user (dante has no password file of its own: use
// TestSystemUser). Stopped, with its files, when the object goes.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/listen_spec.hpp"

namespace shunt::test {

// A system account for dante's "username" method, created with useradd + chpasswd and
// deleted (userdel) with the object. The name gets a random suffix so parallel tests do
// not collide.
class TestSystemUser {
  public:
    explicit TestSystemUser(const std::string& prefix = "shunts5");
    ~TestSystemUser();
    TestSystemUser(const TestSystemUser&) = delete;
    TestSystemUser& operator=(const TestSystemUser&) = delete;

    const std::string& name() const { return name_; }
    const std::string& password() const { return password_; }

  private:
    std::string name_;
    std::string password_;
};

class DanteServer {
  public:
    struct Options {
        bool require_password = false;  // socksmethod username instead of none
        // Interface or address dante connects out from ("lo" for loopback targets; inside a
        // namespace the interface facing the targets).
        std::string external = "lo";
        // Clients allowed to use it.
        std::string clients = "0.0.0.0/0";
    };
    using Listen = ListenSpec;

    // Starts danted and waits for its port; throws std::runtime_error with its log when it
    // does not come up.
    explicit DanteServer(Options options);
    DanteServer(Options options, Listen listen);
    ~DanteServer();
    DanteServer(const DanteServer&) = delete;
    DanteServer& operator=(const DanteServer&) = delete;

    int port() const { return port_; }
    const std::string& address() const { return address_; }
    pid_t pid() const { return process_->pid(); }
    // SIGKILL to danted and its workers, as a crash (the object stays, stopped).
    void kill() { process_->kill(); }
    // Dante logs every session's start and end ("udp/udpassociate ]: ... local client
    // closed") here: tests read it to see an association torn down.
    std::string log() const;

  private:
    TempDir dir_;
    std::string address_;
    int port_ = 0;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace shunt::test

// MuxServerProcess: `shunt mux-server -c FILE` in a network namespace, with a certificate
// from a throwaway CA (TestCa) for `server_name`, listening on ADDRESS:PORT. Started and
// waited for by the constructor; killed (with its files) by the destructor.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::bench {

class MuxServerProcess {
  public:
    struct Options {
        std::string shunt_binary;
        std::string netns;
        std::string address;  // IPv4 literal the server listens on
        std::uint16_t port = 8443;
        std::string password = "bench-password";
        std::string server_name = "mux.bench.test";  // the certificate's DNS name (client sni)
        std::string log_level = "warn";              // info logs every stream
        std::string dns_upstream;  // "ADDRESS:PORT" to resolve target names; "": the system's
    };

    // Throws std::runtime_error with the server's log when it does not come up.
    explicit MuxServerProcess(Options options);
    ~MuxServerProcess();
    MuxServerProcess(const MuxServerProcess&) = delete;
    MuxServerProcess& operator=(const MuxServerProcess&) = delete;

    pid_t pid() const { return process_->pid(); }
    const Options& options() const { return options_; }
    const std::string& ca_file() const { return ca_.ca_file(); }
    std::string log() const;

  private:
    Options options_;
    test::TempDir dir_;
    test::TestCa ca_;
    std::unique_ptr<test::ChildProcess> process_;
};

}  // namespace shunt::bench

// A real dnsdist on 127.0.0.1 in front of a test backend (usually an UnboundServer):
// DNS over HTTPS (h2o, which answers HTTP/1.1 too) and DNS over TLS with a test
// certificate, plus plain DNS. Security polling is off, so it never leaves the
// machine. Stopped with the object.
#pragma once

#include <memory>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/test_ca.hpp"

namespace shunt::test {

class DnsdistServer {
  public:
    struct Options {
        int backend_port = 0;  // plain DNS on 127.0.0.1
        TestCertificate certificate;
        std::string doh_path = "/dns-query";
        // A second DoH path that answers every request with 200 and a text/plain body:
        // a server sending the wrong content type.
        std::string text_answer_path = "/text-answer";
        // More Lua for the configuration: rules that make it a faulty upstream, e.g.
        // "addAction(AllRule(), DropAction())".
        std::string extra_lua = "";
    };

    // Starts dnsdist and waits for its listeners; throws std::runtime_error with
    // dnsdist's output when it does not come up.
    explicit DnsdistServer(Options options);
    ~DnsdistServer();
    DnsdistServer(const DnsdistServer&) = delete;
    DnsdistServer& operator=(const DnsdistServer&) = delete;

    int dns_port() const { return dns_port_; }
    int doh_port() const { return doh_port_; }
    int dot_port() const { return dot_port_; }
    std::string log() const;
    // Kills dnsdist (its connections see a FIN) and starts it again on the same ports.
    void restart();

  private:
    TempDir dir_;
    int dns_port_ = 0;
    int doh_port_ = 0;
    int dot_port_ = 0;
    std::unique_ptr<ChildProcess> process_;

    void start();
};

}  // namespace shunt::test

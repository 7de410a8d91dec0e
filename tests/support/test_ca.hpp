// A throwaway certificate authority for TLS tests: a CA and server certificates
// for a given DNS name and IP address, made with the openssl command line in a
// temporary directory that disappears with the object.
#pragma once

#include <string>

#include "tests/support/child_process.hpp"

namespace shunt::test {

struct TestCertificate {
    std::string cert_file;  // PEM, the server certificate followed by nothing else
    std::string key_file;   // PEM, unencrypted
};

class TestCa {
  public:
    // Generates the CA (EC P-256, valid one day). Throws std::runtime_error on failure.
    TestCa();

    const std::string& ca_file() const { return ca_file_; }
    // A server certificate with subjectAltName DNS:`dns_name`, IP:`ip`.
    TestCertificate issue(const std::string& dns_name, const std::string& ip = "127.0.0.1");

  private:
    TempDir dir_;
    std::string ca_file_;
    std::string ca_key_;
    int issued_ = 0;
};

}  // namespace shunt::test

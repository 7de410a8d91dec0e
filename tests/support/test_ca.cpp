#include "tests/support/test_ca.hpp"

#include <stdexcept>

namespace shunt::test {

namespace {

void openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    // Through sh to fold openssl's chatter on stderr into the captured output, which
    // is shown only when the command fails.
    std::vector<std::string> quiet = {"sh", "-c", "\"$0\" \"$@\" 2>&1"};
    quiet.insert(quiet.end(), argv.begin(), argv.end());
    auto run = run_command(quiet, std::chrono::seconds(20));
    if (run.exit_code != 0)
        throw std::runtime_error("openssl " + args.front() + " failed: " + run.out);
}

}  // namespace

TestCa::TestCa() : ca_file_(dir_.file("ca.pem")), ca_key_(dir_.file("ca.key")) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", ca_key_, "-out", ca_file_, "-days", "1", "-subj", "/CN=shunt test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign"});
}

TestCertificate TestCa::issue(const std::string& dns_name, const std::string& ip) {
    auto base = dir_.file("server" + std::to_string(++issued_));
    TestCertificate cert{base + ".pem", base + ".key"};
    dir_.write("server" + std::to_string(issued_) + ".ext",
               "basicConstraints=CA:FALSE\n"
               "keyUsage=critical,digitalSignature\n"
               "extendedKeyUsage=serverAuth\n"
               "subjectAltName=DNS:" +
                   dns_name + ",IP:" + ip + "\n");
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", cert.key_file, "-out", base + ".csr", "-subj", "/CN=" + dns_name});
    openssl({"x509", "-req", "-in", base + ".csr", "-CA", ca_file_, "-CAkey", ca_key_,
             "-CAcreateserial", "-days", "1", "-out", cert.cert_file, "-extfile", base + ".ext"});
    return cert;
}

}  // namespace shunt::test

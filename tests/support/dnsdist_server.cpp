#include "tests/support/dnsdist_server.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace shunt::test {

namespace {

// A Lua string literal (long bracket form: no escaping needed for paths).
std::string lua(const std::string& text) {
    return "[==[" + text + "]==]";
}

}  // namespace

DnsdistServer::DnsdistServer(Options options) {
    // free_port() could return the same port twice; three listeners need three.
    while (dns_port_ == doh_port_ || dns_port_ == dot_port_ || doh_port_ == dot_port_) {
        dns_port_ = free_port();
        doh_port_ = free_port();
        dot_port_ = free_port();
    }
    std::string local = "127.0.0.1:";
    std::ostringstream conf;
    // Without this dnsdist asks a public DNS name about its own security status.
    conf << "setSecurityPollSuffix(\"\")\n"
         // An explicit plain listener, or dnsdist would take 127.0.0.1:53.
         << "setLocal(" << lua(local + std::to_string(dns_port_)) << ")\n"
         << "newServer{address=" << lua(local + std::to_string(options.backend_port))
         << "}\n"
         // Forced up: no health-check race with the first query of a test.
         << "getServer(0):setUp()\n"
         << "addDOHLocal(" << lua(local + std::to_string(doh_port_)) << ", "
         << lua(options.certificate.cert_file) << ", " << lua(options.certificate.key_file) << ", {"
         << lua(options.doh_path) << ", " << lua(options.text_answer_path) << "})\n"
         << "getDOHFrontend(0):setResponsesMap({newDOHResponseMapEntry("
         << lua("^" + options.text_answer_path) << ", 200, \"hello\", "
         << "{[\"content-type\"]=\"text/plain\"})})\n"
         << "addTLSLocal(" << lua(local + std::to_string(dot_port_)) << ", "
         << lua(options.certificate.cert_file) << ", " << lua(options.certificate.key_file) << ")\n"
         << options.extra_lua << "\n";
    dir_.write("dnsdist.conf", conf.str());

    start();
}

void DnsdistServer::start() {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"dnsdist", "--supervised", "--disable-syslog", "-C",
                                 dir_.file("dnsdist.conf")},
        ChildProcess::Options{.netns = "",
                              .stdout_path = dir_.file("dnsdist.log"),
                              .stderr_path = dir_.file("dnsdist.err"),
                              .env = {}});
    bool up = wait_for_tcp_port("127.0.0.1", doh_port_, std::chrono::seconds(10)) &&
              wait_for_tcp_port("127.0.0.1", dot_port_, std::chrono::seconds(5)) &&
              wait_for_tcp_port("127.0.0.1", dns_port_, std::chrono::seconds(5));
    if (!up) {
        process_->kill();
        throw std::runtime_error("dnsdist did not start:\n" + log());
    }
}

void DnsdistServer::restart() {
    process_->kill();
    start();
}

DnsdistServer::~DnsdistServer() {
    process_->kill();
}

std::string DnsdistServer::log() const {
    std::string out;
    for (const char* name : {"dnsdist.log", "dnsdist.err"}) {
        std::ifstream in(dir_.file(name));
        out.append(std::istreambuf_iterator<char>(in), {});
    }
    return out;
}

}  // namespace shunt::test

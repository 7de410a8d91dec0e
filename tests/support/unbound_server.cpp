#include "tests/support/unbound_server.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace shunt::test {

namespace {

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

UnboundServer::UnboundServer(Options options) : UnboundServer(std::move(options), Listen{}) {}

UnboundServer::UnboundServer(Options options, Listen listen)
    : port_(listen.port != 0 ? listen.port : free_port()) {
    if (listen.addresses.empty()) throw std::invalid_argument("UnboundServer: no listen address");
    bool any_ip6 = false;
    for (const auto& address : listen.addresses) any_ip6 |= address.find(':') != std::string::npos;
    std::ostringstream conf;
    conf << "server:\n";
    for (const auto& address : listen.addresses)
        conf << "  interface: " << address << "@" << port_ << "\n";
    if (options.tls) {
        do tls_port_ = free_port();
        while (tls_port_ == port_);
        for (const auto& address : listen.addresses)
            conf << "  interface: " << address << "@" << tls_port_ << "\n";
        conf << "  tls-port: " << tls_port_ << "\n"
             << "  tls-service-key: " << quoted(options.tls->key_file) << "\n"
             << "  tls-service-pem: " << quoted(options.tls->cert_file) << "\n";
    }
    conf << "  port: " << port_ << "\n"
         << "  do-ip6: " << (any_ip6 ? "yes" : "no") << "\n"
         << "  chroot: \"\"\n"
         << "  username: \"\"\n"
         << "  pidfile: \"\"\n"
         << "  directory: " << quoted(dir_.path()) << "\n"
         << "  use-syslog: no\n"
         << "  logfile: \"\"\n"
         << "  verbosity: 1\n"
         << "  num-threads: 1\n"
         << "  do-not-query-localhost: no\n"
         << "  access-control: 127.0.0.0/8 allow\n";
    // A namespace of the test's own holds only the test's clients.
    if (!listen.netns.empty()) {
        conf << "  access-control: 0.0.0.0/0 allow\n"
             << "  access-control: ::/0 allow\n";
    }
    // No validator, hence no trust anchor to fetch or read.
    conf << "  module-config: \"iterator\"\n"
         // The root refused: a name outside the test zones never leaves the machine.
         << "  local-zone: \".\" refuse\n";
    for (const auto& zone : options.local_zones)
        conf << "  local-zone: " << quoted(zone) << " static\n";
    for (const auto& record : options.local_data)
        conf << "  local-data: " << quoted(record) << "\n";
    conf << "remote-control:\n"
         << "  control-enable: no\n";
    dir_.write("unbound.conf", conf.str());

    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"unbound", "-d", "-c", dir_.file("unbound.conf")},
        ChildProcess::Options{.netns = listen.netns,
                              .stdout_path = dir_.file("unbound.out"),
                              .stderr_path = dir_.file("unbound.log"),
                              .env = {}});
    const std::string& probe = listen.addresses.front();
    bool up = wait_for_tcp_port(probe, port_, std::chrono::seconds(10), listen.netns) &&
              (tls_port_ == 0 ||
               wait_for_tcp_port(probe, tls_port_, std::chrono::seconds(5), listen.netns));
    if (!up) {
        process_->kill();
        throw std::runtime_error("unbound did not start:\n" + log());
    }
}

UnboundServer::~UnboundServer() {
    process_->kill();
}

std::string UnboundServer::log() const {
    std::ifstream in(dir_.file("unbound.log"));
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace shunt::test

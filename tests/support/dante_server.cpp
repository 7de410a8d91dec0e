#include "tests/support/dante_server.hpp"

#include <random>
#include <sstream>
#include <stdexcept>

namespace shunt::test {

namespace {

std::string random_suffix(std::size_t length) {
    static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device device;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
    std::string out;
    for (std::size_t i = 0; i < length; ++i) out += kAlphabet[pick(device)];
    return out;
}

}  // namespace

TestSystemUser::TestSystemUser(const std::string& prefix)
    : name_(prefix + random_suffix(6)), password_("pw-" + random_suffix(12)) {
    const auto added =
        run_command({"useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name_});
    if (added.exit_code != 0) throw std::runtime_error("useradd " + name_ + " failed");
    // chpasswd reads "name:password" from stdin.
    const auto set =
        run_command({"sh", "-c", "printf '%s:%s\\n' \"$0\" \"$1\" | chpasswd", name_, password_});
    if (set.exit_code != 0) {
        run_command({"userdel", name_});
        throw std::runtime_error("chpasswd for " + name_ + " failed");
    }
}

TestSystemUser::~TestSystemUser() {
    run_command({"userdel", name_});
}

DanteServer::DanteServer(Options options) : DanteServer(std::move(options), Listen{}) {}

DanteServer::DanteServer(Options options, Listen listen)
    : address_(listen.address), port_(listen.port != 0 ? listen.port : free_port()) {
    const std::string method = options.require_password ? "username" : "none";
    const std::string any_destination = "0.0.0.0/0";
    std::ostringstream conf;
    conf << "logoutput: stderr\n"
         << "internal: " << listen.address << " port = " << port_ << "\n"
         << "external: " << options.external << "\n"
         << "clientmethod: none\n"
         << "socksmethod: " << method
         << "\n"
         // root reads /etc/shadow for the username method; sessions run as nobody.
         << "user.privileged: root\n"
         << "user.unprivileged: nobody\n"
         << "client pass {\n  from: " << options.clients << " to: 0.0.0.0/0\n}\n"
         << "client pass {\n  from: ::/0 to: ::/0\n}\n"
         << "socks pass {\n  from: " << options.clients << " to: " << any_destination
         << "\n  command: connect udpassociate\n  log: connect disconnect error\n}\n"
         << "socks pass {\n  from: ::/0 to: ::/0\n  command: connect udpassociate\n"
         << "  log: connect disconnect error\n}\n"
         // Replies to UDP clients come from wherever the targets are.
         << "socks pass {\n  from: 0.0.0.0/0 to: 0.0.0.0/0\n  command: udpreply\n"
         << "  log: connect disconnect error\n}\n";
    dir_.write("danted.conf", conf.str());

    // No -D: dante stays in the foreground, in the ChildProcess's process group, so its
    // worker processes die with it.
    process_ = start_listening_process(
        {"danted", "-f", dir_.file("danted.conf"), "-N", "1", "-p", dir_.file("danted.pid")},
        {.netns = listen.netns,
         .stdout_path = dir_.file("danted.out"),
         .stderr_path = dir_.file("danted.log"),
         .env = {}},
        listen.address, port_, "danted", dir_.file("danted.log"));
}

DanteServer::~DanteServer() {
    process_->kill();
}

std::string DanteServer::log() const {
    return read_file(dir_.file("danted.log"));
}

}  // namespace shunt::test

#include "tests/support/mux_server_process.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>

namespace shunt::test {

MuxServerProcess::MuxServerProcess(const E2eTopology& topology, const TestCertificate& certificate,
                                   const std::string& password, int port)
    : topology_(topology), port_(port) {
    std::ofstream(dir_.file("server.toml"))
        << "[log]\nlevel = \"debug\"\n"
        << "[dns]\nupstreams = [\"udp://" << topology.server_v4() << ":53\"]\n"
        << "[mux_server]\nlisten = [\"" << topology.server_v4() << ":" << port << "\"]\n"
        << "password = \"" << password << "\"\n"
        << "cert = \"" << certificate.cert_file << "\"\nkey = \"" << certificate.key_file << "\"\n"
        << "allow_private_targets = true\n";  // the test's namespaces use 10.200.0.0/16
    spawn();
}

void MuxServerProcess::spawn() {
    // A log per run; log() shows them in order.
    const std::string file = dir_.file("log." + std::to_string(++runs_));
    ChildProcess::Options options;
    options.stdout_path = file;
    options.stderr_path = file;
    process_ = topology_.spawn_in_server(
        {SHUNT_BINARY, "mux-server", "-c", dir_.file("server.toml")}, options);
    if (!wait_for_tcp_port(topology_.server_v4(), port_, std::chrono::seconds(10),
                           topology_.server_ns()))
        throw std::runtime_error("mux-server did not start:\n" + log());
}

void MuxServerProcess::kill9() {
    if (process_) process_->kill();
}

void MuxServerProcess::restart() {
    kill9();
    spawn();
}

std::string MuxServerProcess::log() const {
    std::string text;
    for (int run = 1; run <= runs_; ++run)
        text += read_file(dir_.file("log." + std::to_string(run)));
    return text;
}

}  // namespace shunt::test

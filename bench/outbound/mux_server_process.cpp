#include "bench/outbound/mux_server_process.hpp"

#include <iterator>
#include <sstream>
#include <stdexcept>

namespace shunt::bench {

MuxServerProcess::MuxServerProcess(Options options) : options_(std::move(options)) {
    const auto certificate = ca_.issue(options_.server_name, options_.address);
    std::ostringstream config;
    config << "[log]\nlevel = \"" << options_.log_level << "\"\n\n"
           << "[mux_server]\n"
           << "listen = [\"" << options_.address << ":" << options_.port << "\"]\n"
           << "password = \"" << options_.password << "\"\n"
           << "cert = \"" << certificate.cert_file << "\"\n"
           << "key = \"" << certificate.key_file << "\"\n"
           << "allow_private_targets = true\n";  // the benchmark's targets are on a veth
    if (!options_.dns_upstream.empty())
        config << "\n[dns]\nupstreams = [\"udp://" << options_.dns_upstream << "\"]\n";
    dir_.write("server.toml", config.str());
    process_ = test::start_listening_process(
        {options_.shunt_binary, "mux-server", "-c", dir_.file("server.toml")},
        {.netns = options_.netns,
         .stdout_path = dir_.file("mux-server.log"),
         .stderr_path = dir_.file("mux-server.log"),
         .env = {}},
        options_.address, options_.port, "shunt mux-server", dir_.file("mux-server.log"));
}

MuxServerProcess::~MuxServerProcess() {
    process_->kill();
}

std::string MuxServerProcess::log() const {
    return test::read_file(dir_.file("mux-server.log"));
}

}  // namespace shunt::bench

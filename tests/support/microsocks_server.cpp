#include "tests/support/microsocks_server.hpp"

#include <stdexcept>

namespace shunt::test {

MicrosocksServer::MicrosocksServer(Options options)
    : MicrosocksServer(std::move(options), Listen{}) {}

MicrosocksServer::MicrosocksServer(Options options, Listen listen)
    : address_(listen.address), port_(listen.port != 0 ? listen.port : free_port()) {
    std::vector<std::string> argv = {"microsocks", "-i", listen.address, "-p",
                                     std::to_string(port_)};
    if (!options.username.empty()) {
        argv.insert(argv.end(), {"-u", options.username, "-P", options.password});
    }
    if (!options.bind.empty()) argv.insert(argv.end(), {"-b", options.bind});
    process_ =
        start_listening_process(std::move(argv),
                                {.netns = listen.netns,
                                 .stdout_path = dir_.file("microsocks.out"),
                                 .stderr_path = dir_.file("microsocks.log"),
                                 .env = {}},
                                listen.address, port_, "microsocks", dir_.file("microsocks.log"));
}

MicrosocksServer::~MicrosocksServer() {
    process_->kill();
}

std::string MicrosocksServer::log() const {
    return read_file(dir_.file("microsocks.log"));
}

}  // namespace shunt::test

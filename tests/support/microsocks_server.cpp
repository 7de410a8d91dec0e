#include "tests/support/microsocks_server.hpp"

#include <fstream>
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
    process_ = std::make_unique<ChildProcess>(
        std::move(argv), ChildProcess::Options{.netns = listen.netns,
                                               .stdout_path = dir_.file("microsocks.out"),
                                               .stderr_path = dir_.file("microsocks.log"),
                                               .env = {}});
    if (!wait_for_tcp_port(listen.address, port_, std::chrono::seconds(10), listen.netns)) {
        process_->kill();
        throw std::runtime_error("microsocks did not start:\n" + log());
    }
}

MicrosocksServer::~MicrosocksServer() {
    process_->kill();
}

std::string MicrosocksServer::log() const {
    std::ifstream in(dir_.file("microsocks.log"));
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace shunt::test

#include "tests/support/shunt_process.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace shunt::test {

ShuntProcess::ShuntProcess(const TempDir& dir, const std::string& config, int dns_port)
    : config_path_(dir.file("shunt.toml")), log_path_(dir.file("shunt.log")), dns_port_(dns_port) {
    dir.write("shunt.toml", config);
    // Append: a restart in the same directory keeps the earlier run's log for failures.
    child_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"sh", "-c",
                                 std::string("exec ") + SHUNT_BINARY + " run -c " + config_path_ +
                                     " -v >>" + log_path_ + " 2>&1"});
    if (!wait_for_tcp_port("127.0.0.1", dns_port, std::chrono::seconds(15))) {
        child_->kill();
        throw std::runtime_error("shunt did not start; its log:\n" + log());
    }
}

ShuntProcess::~ShuntProcess() = default;

std::string ShuntProcess::log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> DigResult::lines() const {
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line[0] != ';') lines.push_back(line);
    return lines;
}

std::string DigResult::status() const {
    auto pos = out.find("status: ");
    if (pos == std::string::npos) return "";
    auto end = out.find(',', pos);
    return out.substr(pos + 8, end - pos - 8);
}

DigResult dig(int port, const std::string& name, const std::string& type,
              std::vector<std::string> extra) {
    std::vector<std::string> argv = {"dig",     "@127.0.0.1", "-p", std::to_string(port),
                                     "+time=3", "+tries=1"};
    if (!name.empty()) argv.push_back(name);
    if (!type.empty()) argv.push_back(type);
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run_command(argv, std::chrono::seconds(20));
    return {r.exit_code, r.out};
}

}  // namespace shunt::test

// The command line: `shunt run|check -c FILE [-v]`, `shunt cleanup [-c FILE]`,
// `shunt mux-server -c FILE`, `shunt version`, `--help` on each.
#pragma once

#include <string>
#include <vector>

namespace shunt {

struct CommandLine {
    enum class Command { run, check, cleanup, mux_server, version, help };
    Command command = Command::help;
    std::string config_path;
    int verbosity = 0;
    std::string help_text;  // for Command::help
};

// Returns nullopt-like failure through `error` (non-empty) for bad usage.
CommandLine parse_command_line(const std::vector<std::string>& args, std::string& error);

int run_cli(int argc, char** argv);

}  // namespace shunt

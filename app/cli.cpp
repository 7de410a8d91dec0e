#include "app/cli.hpp"

#include <cstdio>
#include <iostream>

#include "app/app.hpp"
#include "app/check_command.hpp"
#include "app/cleanup_command.hpp"
#include "app/mux_server_app.hpp"
#include "base/version.hpp"

namespace shunt {

namespace {

constexpr const char* kMainHelp =
    "usage: shunt <command> [options]\n"
    "\n"
    "shunt is a transparent traffic splitter: a fake-IP DNS server, a TUN netstack, rules,\n"
    "and outbounds (direct, SOCKS5, shunt's own multiplexed upstream).\n"
    "\n"
    "commands:\n"
    "  run -c FILE      start shunt with the config FILE (SIGHUP reloads it)\n"
    "  check -c FILE    validate FILE, print every error, exit 1 if there is any\n"
    "  cleanup [-c FILE]  remove what a crashed run left (routes, rules, DNS settings)\n"
    "  mux-server -c FILE  run the mux server a `type = \"mux\"` proxy connects to\n"
    "  version          print the version\n"
    "\n"
    "`shunt <command> --help` describes each command.\n";

constexpr const char* kRunHelp =
    "usage: shunt run -c FILE [-v|-vv]\n"
    "\n"
    "Starts shunt with the configuration in FILE (TOML; see examples/full.toml).\n"
    "  -c, --config FILE   the configuration file (required)\n"
    "  -v                  debug logging, -vv trace (overrides [log] level)\n"
    "Signals: SIGINT/SIGTERM stop cleanly (the fake-IP pool is flushed);\n"
    "SIGHUP reloads FILE, keeping the pool and queries in flight.\n";

constexpr const char* kCheckHelp =
    "usage: shunt check -c FILE [-v]\n"
    "\n"
    "Validates FILE and prints every error as FILE:LINE:COLUMN: KEY: MESSAGE.\n"
    "  -v                  also say how much of the address space the eBPF bypass would\n"
    "                      send past the TUN in rule mode, and which rules limit it\n"
    "Exits 0 when the file is valid, 1 otherwise.\n";

constexpr const char* kCleanupHelp =
    "usage: shunt cleanup [-c FILE]\n"
    "\n"
    "Removes what a shunt that did not stop (kill -9, a power cut) left behind and says\n"
    "what it removed: ip rules and routes shunt added (protocol 162, whatever config added\n"
    "them), its TUN device, the eBPF bypass's tc filters (handle and priority 0x162, on any\n"
    "interface), and an /etc/resolv.conf it rewrote (the original is put back).\n"
    "systemd-resolved's settings went with the device; the desktop's cgroup hooks go with\n"
    "the process. `shunt run` does the same at start.\n"
    "  -c, --config FILE   names the TUN device ([tun] name; default shunt0)\n"
    "Exits 0 when everything found was removed, 1 when something could not be, 2 when a\n"
    "shunt is running (its device is held open).\n";

constexpr const char* kMuxServerHelp =
    "usage: shunt mux-server -c FILE [-v|-vv]\n"
    "\n"
    "Runs shunt's multiplexed upstream server (docs/mux.md) with the [mux_server] section\n"
    "of FILE (see examples/mux-server.toml); [dns] says how target names are resolved.\n"
    "  -c, --config FILE   the configuration file (required)\n"
    "  -v                  debug logging, -vv trace (overrides [log] level)\n"
    "SIGINT/SIGTERM stop it (every carrier is closed).\n";

constexpr const char* kVersionHelp = "usage: shunt version\n\nPrints shunt's version.\n";

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args, std::string& error) {
    CommandLine cl;
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        cl.help_text = kMainHelp;
        return cl;
    }
    const std::string& name = args[0];
    const char* help = nullptr;
    if (name == "run") {
        cl.command = CommandLine::Command::run;
        help = kRunHelp;
    } else if (name == "check") {
        cl.command = CommandLine::Command::check;
        help = kCheckHelp;
    } else if (name == "cleanup") {
        cl.command = CommandLine::Command::cleanup;
        help = kCleanupHelp;
    } else if (name == "mux-server") {
        cl.command = CommandLine::Command::mux_server;
        help = kMuxServerHelp;
    } else if (name == "version" || name == "--version") {
        cl.command = CommandLine::Command::version;
        help = kVersionHelp;
    } else {
        error = "unknown command \"" + name + "\"\n\n" + kMainHelp;
        return cl;
    }
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            cl.command = CommandLine::Command::help;
            cl.help_text = help;
            return cl;
        }
        if (cl.command != CommandLine::Command::version && (a == "-c" || a == "--config")) {
            if (i + 1 >= args.size()) {
                error = a + " needs a file name\n\n" + help;
                return cl;
            }
            cl.config_path = args[++i];
        } else if ((cl.command == CommandLine::Command::run ||
                    cl.command == CommandLine::Command::mux_server) &&
                   (a == "-v" || a == "-vv")) {
            cl.verbosity += static_cast<int>(a.size()) - 1;
        } else if (cl.command == CommandLine::Command::check && a == "-v") {
            cl.verbosity = 1;
        } else {
            error = "unexpected argument \"" + a + "\"\n\n" + help;
            return cl;
        }
    }
    if ((cl.command == CommandLine::Command::run || cl.command == CommandLine::Command::check ||
         cl.command == CommandLine::Command::mux_server) &&
        cl.config_path.empty()) {
        error = std::string("missing -c FILE\n\n") + help;
    }
    return cl;
}

int run_cli(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string error;
    auto cl = parse_command_line(args, error);
    if (!error.empty()) {
        std::cerr << "shunt: " << error;
        return 2;
    }
    switch (cl.command) {
        case CommandLine::Command::help:
            std::cout << cl.help_text;
            return 0;
        case CommandLine::Command::version:
            std::cout << "shunt " << kVersion << "\n";
            return 0;
        case CommandLine::Command::check:
            return app::run_check(cl.config_path, cl.verbosity > 0, std::cout, std::cerr);
        case CommandLine::Command::run:
            return run_app(cl.config_path, cl.verbosity);
        case CommandLine::Command::cleanup:
            return app::run_cleanup(cl.config_path, std::cout, std::cerr);
        case CommandLine::Command::mux_server:
            return run_mux_server(cl.config_path, cl.verbosity);
    }
    return 2;
}

}  // namespace shunt

// ResolvedControl by running resolvectl: for builds without libsystemd (the static
// binary). The same settings as the bus transport, one command each; restarts of resolved
// are not watched (resolvectl has no way to wait for them).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "netstack/system_dns/resolved_control.hpp"

extern char** environ;

namespace shunt::netstack {

namespace {

struct CommandResult {
    int status = -1;     // the exit code; -1 when it could not run or was killed
    std::string output;  // stdout and stderr together
};

// Runs `resolvectl ARGS...` and collects what it prints.
CommandResult run_resolvectl(const std::vector<std::string>& args) {
    std::vector<std::string> argv_text{"resolvectl", "--no-pager"};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);

    CommandResult result;
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        result.output = std::strerror(errno);
        return result;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, "resolvectl", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (spawned != 0) {
        ::close(pipe_fds[0]);
        result.output = std::string("cannot run resolvectl: ") + std::strerror(spawned);
        return result;
    }
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        result.output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    while (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
    return result;
}

class ResolvectlCommand final : public ResolvedControl {
  public:
    const char* transport() const override { return "resolvectl"; }

    bool available() override { return run_resolvectl({"status"}).status == 0; }

    void set_link(const ResolvedLinkId& link, const Endpoint& server) override {
        run(link, {"dns", link.name, server.to_string()});
        run(link, {"domain", link.name, "~."});
        run(link, {"default-route", link.name, "yes"});
        for (const char* setting : {"llmnr", "mdns", "dnssec", "dnsovertls"})
            run(link, {setting, link.name, "no"});
    }

    void revert_link(const ResolvedLinkId& link) noexcept override {
        try {
            run(link, {"revert", link.name});
        } catch (const std::exception& e) {
            spdlog::warn("{}", e.what());
        }
    }

    // `resolvectl domain` prints "Global: ..." and "Link N (name): ..." lines.
    std::vector<std::string> other_catch_all_links(const ResolvedLinkId& link) override {
        std::vector<std::string> others;
        const auto result = run_resolvectl({"domain"});
        if (result.status != 0) return others;
        std::istringstream lines(result.output);
        std::string line;
        while (std::getline(lines, line)) {
            const auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::istringstream domains(line.substr(colon + 1));
            std::string domain;
            bool catch_all = false;
            while (domains >> domain) catch_all = catch_all || domain == "~.";
            const std::string who = line.substr(0, colon);
            if (catch_all && who.find("(" + link.name + ")") == std::string::npos)
                others.push_back(who == "Global" ? "the global settings (resolved.conf)" : who);
        }
        return others;
    }

    bool watch_restarts(std::function<void()>) override { return false; }

  private:
    static void run(const ResolvedLinkId& link, const std::vector<std::string>& args) {
        const auto result = run_resolvectl(args);
        if (result.status != 0)
            throw std::runtime_error("system DNS: `resolvectl " + args.front() + "` on " +
                                     link.name + " failed: " + result.output);
    }
};

}  // namespace

std::unique_ptr<ResolvedControl> make_resolvectl_control() {
    return std::make_unique<ResolvectlCommand>();
}

#ifndef SHUNT_HAVE_SDBUS
std::unique_ptr<ResolvedControl> make_resolved_control(boost::asio::any_io_executor) {
    return make_resolvectl_control();
}
#endif

}  // namespace shunt::netstack

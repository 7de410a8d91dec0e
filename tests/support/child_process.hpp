// Real programs started by tests (unbound, dnsdist, dig, shunt itself): spawned with
// an argument vector, optionally inside a network namespace, and always reaped. The
// destructor kills the whole process group, so a failing test leaves nothing running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace shunt::test {

class ChildProcess {
  public:
    struct Options {
        std::string netns;             // run via `ip netns exec NAME` when set
        std::string stdout_path;       // default: inherit
        std::string stderr_path;       // default: inherit
        std::vector<std::string> env;  // extra NAME=VALUE entries
    };

    ChildProcess(std::vector<std::string> argv, Options options);
    explicit ChildProcess(std::vector<std::string> argv)
        : ChildProcess(std::move(argv), Options{}) {}
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    pid_t pid() const { return pid_; }
    bool running();
    // Sends `signal` to the process group.
    void signal(int signal);
    // Waits for exit; nullopt on timeout. The exit status as from waitpid.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // SIGKILL and reap.
    void kill();

  private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// Runs a command to completion; returns its exit code and captured stdout.
struct CommandResult {
    int exit_code = -1;
    std::string out;
};
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30),
                          const std::string& netns = "");

// Polls until `port` accepts TCP connections on `host` (inside `netns` if set).
bool wait_for_tcp_port(const std::string& host, int port, std::chrono::milliseconds timeout,
                       const std::string& netns = "");

// Starts a server program and waits (10 s) until HOST:PORT accepts connections inside
// options.netns; otherwise kills it and throws std::runtime_error naming `what`, with the
// file at `log_path` (where it writes its errors).
std::unique_ptr<ChildProcess> start_listening_process(std::vector<std::string> argv,
                                                      ChildProcess::Options options,
                                                      const std::string& host, int port,
                                                      const std::string& what,
                                                      const std::string& log_path);

// A whole file ("" when it cannot be read).
std::string read_file(const std::string& path);
// The last `bytes` of a log, for failure messages.
std::string log_tail(const std::string& log, std::size_t bytes = 4000);
// How many times `what` occurs in `text`; how many lines hold both `a` and `b`.
std::size_t count_occurrences(const std::string& text, const std::string& what);
std::size_t lines_with_both(const std::string& text, const std::string& a, const std::string& b);

// A fresh directory under /tmp removed with its contents on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    void write(const std::string& name, const std::string& content) const;

  private:
    std::string path_;
};

// A free TCP+UDP port on loopback (both bound once to check).
int free_port();

}  // namespace shunt::test

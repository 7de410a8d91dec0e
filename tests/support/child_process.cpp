#include "tests/support/child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace shunt::test {

namespace {

std::vector<std::string> with_netns(std::vector<std::string> argv, const std::string& netns) {
    if (netns.empty()) return argv;
    std::vector<std::string> wrapped = {"ip", "netns", "exec", netns};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
}

void redirect(const std::string& path, int fd) {
    if (path.empty()) return;
    int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out >= 0) {
        ::dup2(out, fd);
        ::close(out);
    }
}

[[noreturn]] void exec_child(const std::vector<std::string>& argv,
                             const std::vector<std::string>& env) {
    ::setpgid(0, 0);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, Options options) {
    argv = with_netns(std::move(argv), options.netns);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        redirect(options.stdout_path, STDOUT_FILENO);
        // One file for both: one open description (a second open with O_TRUNC would
        // write over what the other wrote, each at its own offset).
        if (!options.stderr_path.empty() && options.stderr_path == options.stdout_path)
            ::dup2(STDOUT_FILENO, STDERR_FILENO);
        else
            redirect(options.stderr_path, STDERR_FILENO);
        exec_child(argv, options.env);
    }
    ::setpgid(pid_, pid_);  // both sides set it: no race with an early signal()
}

ChildProcess::~ChildProcess() {
    kill();
}

bool ChildProcess::running() {
    if (pid_ <= 0 || status_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = status;
        return false;
    }
    return true;
}

void ChildProcess::signal(int sig) {
    if (running()) ::kill(-pid_, sig);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status_;
}

void ChildProcess::kill() {
    if (pid_ <= 0) return;
    if (running()) {
        ::kill(-pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        status_ = status;
    }
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          const std::string& netns) {
    TempDir dir;
    ChildProcess child(
        argv, {.netns = netns, .stdout_path = dir.file("out"), .stderr_path = "", .env = {}});
    CommandResult result;
    auto status = child.wait(timeout);
    if (!status) {
        child.kill();
        result.exit_code = -1;
    } else {
        result.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
    }
    std::ifstream in(dir.file("out"));
    result.out.assign(std::istreambuf_iterator<char>(in), {});
    return result;
}

bool wait_for_tcp_port(const std::string& host, int port, std::chrono::milliseconds timeout,
                       const std::string& netns) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        bool ok = false;
        if (netns.empty()) {
            int fd =
                ::socket(host.find(':') == std::string::npos ? AF_INET : AF_INET6, SOCK_STREAM, 0);
            if (host.find(':') == std::string::npos) {
                sockaddr_in sa{};
                sa.sin_family = AF_INET;
                sa.sin_port = htons(static_cast<std::uint16_t>(port));
                ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
                ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
            } else {
                sockaddr_in6 sa{};
                sa.sin6_family = AF_INET6;
                sa.sin6_port = htons(static_cast<std::uint16_t>(port));
                ::inet_pton(AF_INET6, host.c_str(), &sa.sin6_addr);
                ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
            }
            ::close(fd);
        } else {
            // bash's /dev/tcp opens a connection from inside the namespace.
            auto r =
                run_command({"bash", "-c", "exec 3<>/dev/tcp/" + host + "/" + std::to_string(port)},
                            std::chrono::seconds(2), netns);
            ok = r.exit_code == 0;
        }
        if (ok) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/shunt-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, const std::string& content) const {
    std::ofstream out(file(name), std::ios::binary);
    out << content;
}

int free_port() {
    for (int attempt = 0; attempt < 100; ++attempt) {
        int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof sa;
        ::bind(tcp, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
        ::getsockname(tcp, reinterpret_cast<sockaddr*>(&sa), &len);
        int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
        bool ok = ::bind(udp, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
        int port = ntohs(sa.sin_port);
        ::close(tcp);
        ::close(udp);
        if (ok) return port;
    }
    throw std::runtime_error("no free port");
}

std::unique_ptr<ChildProcess> start_listening_process(std::vector<std::string> argv,
                                                      ChildProcess::Options options,
                                                      const std::string& host, int port,
                                                      const std::string& what,
                                                      const std::string& log_path) {
    const std::string netns = options.netns;
    auto process = std::make_unique<ChildProcess>(std::move(argv), std::move(options));
    if (!wait_for_tcp_port(host, port, std::chrono::seconds(10), netns)) {
        process->kill();
        throw std::runtime_error(what + " did not start:\n" + read_file(log_path));
    }
    return process;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string log_tail(const std::string& log, std::size_t bytes) {
    return log.substr(log.size() > bytes ? log.size() - bytes : 0);
}

std::size_t count_occurrences(const std::string& text, const std::string& what) {
    std::size_t count = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
    return count;
}

std::size_t lines_with_both(const std::string& text, const std::string& a, const std::string& b) {
    std::size_t count = 0;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) ++count;
    return count;
}

}  // namespace shunt::test
